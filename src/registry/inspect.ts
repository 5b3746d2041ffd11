import { createHash } from "node:crypto";
import { UserError } from "../errors.js";
import { repositoryScope } from "./auth.js";
import { RegistryClient, header } from "./client.js";
import type { RegistryResponse } from "./client.js";
import type { Credentials } from "./credentials.js";
import { resolveCredentials } from "./credentials.js";
import { parseReference } from "./reference.js";

const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

const INDEX_TYPES = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);

export interface ImageManifest {
  mediaType?: string;
  config: { mediaType: string; digest: string; size: number };
  layers: { mediaType: string; digest: string; size: number }[];
}

interface RemoteImage {
  /** Digest of the image manifest (the platform one when the tag names an index). */
  digest: string;
  /** Digest of the index the tag pointed at, when it pointed at one. */
  indexDigest?: string;
  manifest: ImageManifest;
  config: {
    config?: { Labels?: Record<string, string> | null };
    architecture?: string;
    os?: string;
    rootfs?: { diff_ids?: string[] };
  };
  labels: Record<string, string>;
}

interface InspectOptions {
  credentials?: Credentials;
}

/**
 * Reads a pushed image's manifest, config and labels from the registry without pulling its layers
 * (what platforms do to read `run.cog.openapi_schema`). An index or manifest list resolves to linux/amd64.
 */
export async function inspectRemoteImage(ref: string, options: InspectOptions = {}): Promise<RemoteImage> {
  const target = parseReference(ref);
  const client = new RegistryClient(
    target.registry,
    options.credentials ?? (await resolveCredentials(target.registry)),
  );
  client.auth.addScopes(repositoryScope(target.repository, ["pull"]));
  try {
    const first = await getManifest(client, target.repository, target.digest ?? target.tag!);
    let manifestRes = first;
    let indexDigest: string | undefined;
    const firstBody = parseJson<{
      mediaType?: string;
      manifests?: { digest: string; mediaType?: string; platform?: { os?: string; architecture?: string } }[];
    }>(first.text, `The manifest of ${ref}`);
    const firstType = firstBody.mediaType ?? header(first, "content-type")?.split(";")[0];
    if ((firstType && INDEX_TYPES.has(firstType)) || firstBody.manifests) {
      indexDigest = digestOf(first);
      // image-spec image-index.md: pick by platform; Cog prefers linux/amd64 when reading labels.
      const chosen =
        firstBody.manifests?.find((m) => m.platform?.os === "linux" && m.platform.architecture === "amd64") ??
        firstBody.manifests?.find((m) => !m.platform || m.platform.os !== "unknown");
      if (!chosen) throw new UserError(`${ref} is an index with no linux/amd64 image.`);
      manifestRes = await getManifest(client, target.repository, chosen.digest);
    }
    const manifest = parseJson<ImageManifest>(manifestRes.text, `The manifest of ${ref}`);
    if (!manifest.config?.digest) throw new UserError(`${ref} is not an image manifest (no config).`);
    // distribution-spec §Pulling blobs: GET /v2/<name>/blobs/<digest> (may redirect to storage).
    const configText = await getBlob(client, target.repository, manifest.config.digest);
    const config = parseJson<RemoteImage["config"]>(configText, `The config of ${ref}`);
    return { digest: digestOf(manifestRes), indexDigest, manifest, config, labels: config.config?.Labels ?? {} };
  } finally {
    await client.close();
  }
}

function digestOf(res: RegistryResponse): string {
  return header(res, "docker-content-digest") ?? `sha256:${createHash("sha256").update(res.text).digest("hex")}`;
}

/** distribution-spec §Pulling manifests: GET /v2/<name>/manifests/<reference> with the accepted types. */
async function getManifest(client: RegistryClient, repository: string, reference: string): Promise<RegistryResponse> {
  const res = await client.request(
    { method: "GET", url: `/v2/${repository}/manifests/${reference}`, headers: { accept: MANIFEST_ACCEPT } },
    `Reading ${repository}:${reference}`,
    [200, 404],
  );
  if (res.status === 404)
    throw new UserError(`${client.registry}/${repository}:${reference} does not exist in the registry.`);
  return res;
}

/** Image configs can carry large labels (the OpenAPI schema): read up to this much of one. */
const MAX_CONFIG_BYTES = 32 << 20;

/** distribution-spec §Pulling blobs: GET /v2/<name>/blobs/<digest>; a redirect to storage is followed without credentials. */
async function getBlob(client: RegistryClient, repository: string, digest: string): Promise<string> {
  const res = await client.request(
    { method: "GET", url: `/v2/${repository}/blobs/${digest}`, maxBytes: MAX_CONFIG_BYTES },
    `Reading blob ${digest}`,
    [200],
  );
  return res.text;
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UserError(
      `${what} is not valid JSON (${text.length} characters, starting ${JSON.stringify(text.slice(0, 60))}).`,
    );
  }
}
