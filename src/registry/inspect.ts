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

const INDEX_TYPES = new Set(["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"]);

export interface ImageManifest {
  mediaType?: string;
  config: { mediaType: string; digest: string; size: number };
  layers: { mediaType: string; digest: string; size: number }[];
}

export interface RemoteImage {
  /** Digest of the image manifest (the platform one when the tag names an index). */
  digest: string;
  /** Digest of the index the tag pointed at, when it pointed at one. */
  indexDigest?: string;
  manifest: ImageManifest;
  config: { config?: { Labels?: Record<string, string> | null }; architecture?: string; os?: string; rootfs?: { diff_ids?: string[] } };
  labels: Record<string, string>;
}

export interface InspectOptions { credentials?: Credentials }

/**
 * Reads a pushed image's manifest, config and labels from the registry without pulling its layers
 * (what platforms do to read `run.cog.openapi_schema`). An index or manifest list resolves to linux/amd64.
 */
export async function inspectRemoteImage(ref: string, options: InspectOptions = {}): Promise<RemoteImage> {
  const target = parseReference(ref);
  const client = new RegistryClient(target.registry, options.credentials ?? (await resolveCredentials(target.registry)));
  client.auth.addScopes(repositoryScope(target.repository, ["pull"]));
  try {
    const first = await getManifest(client, target.repository, target.digest ?? target.tag!);
    let manifestRes = first;
    let indexDigest: string | undefined;
    const firstBody = JSON.parse(first.text) as { mediaType?: string; manifests?: { digest: string; mediaType?: string; platform?: { os?: string; architecture?: string } }[] };
    const firstType = firstBody.mediaType ?? header(first, "content-type")?.split(";")[0];
    if (firstType && INDEX_TYPES.has(firstType) || firstBody.manifests) {
      indexDigest = digestOf(first);
      // image-spec image-index.md: pick by platform; Cog prefers linux/amd64 when reading labels.
      const chosen = firstBody.manifests?.find((m) => m.platform?.os === "linux" && m.platform.architecture === "amd64")
        ?? firstBody.manifests?.find((m) => !m.platform || m.platform.os !== "unknown");
      if (!chosen) throw new UserError(`${ref} is an index with no linux/amd64 image.`);
      manifestRes = await getManifest(client, target.repository, chosen.digest);
    }
    const manifest = JSON.parse(manifestRes.text) as ImageManifest;
    if (!manifest.config?.digest) throw new UserError(`${ref} is not an image manifest (no config).`);
    // distribution-spec §Pulling blobs: GET /v2/<name>/blobs/<digest> (may redirect to storage).
    const configText = await getBlob(client, target.repository, manifest.config.digest);
    const config = JSON.parse(configText) as RemoteImage["config"];
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
  const res = await client.request({ method: "GET", url: `/v2/${repository}/manifests/${reference}`, headers: { accept: MANIFEST_ACCEPT } }, `Reading ${repository}:${reference}`, [200, 404]);
  if (res.status === 404) throw new UserError(`${client.registry}/${repository}:${reference} does not exist in the registry.`);
  return res;
}

async function getBlob(client: RegistryClient, repository: string, digest: string): Promise<string> {
  let res = await client.request({ method: "GET", url: `/v2/${repository}/blobs/${digest}` }, `Reading blob ${digest}`, [200, 307, 302, 301, 303, 308]);
  for (let hops = 0; res.status !== 200 && hops < 5; hops++) {
    const location = new URL(header(res, "location") ?? "", res.url);
    const { request } = await import("undici");
    // The storage a registry redirects to must not see the registry's credentials.
    const r = await request(location, { method: "GET" });
    res = { status: r.statusCode, headers: r.headers, url: location, text: await r.body.text() };
  }
  if (res.status !== 200) throw new UserError(`Reading blob ${digest} from ${client.registry} failed with ${res.status}.`);
  return res.text;
}
