import { createHash } from "node:crypto";
import { UserError } from "../errors.js";
import { header } from "./client.js";
import type { RegistryClient } from "./client.js";
import type { Compression } from "./layers/index.js";

export const MEDIA_TYPES = {
  docker: {
    manifest: "application/vnd.docker.distribution.manifest.v2+json",
    config: "application/vnd.docker.container.image.v1+json",
    layer: { gzip: "application/vnd.docker.image.rootfs.diff.tar.gzip", zstd: "" },
  },
  oci: {
    manifest: "application/vnd.oci.image.manifest.v1+json",
    config: "application/vnd.oci.image.config.v1+json",
    layer: { gzip: "application/vnd.oci.image.layer.v1.tar+gzip", zstd: "application/vnd.oci.image.layer.v1.tar+zstd" },
  },
} as const;

export type ManifestFormat = keyof typeof MEDIA_TYPES;

export interface ImageManifest {
  mediaType: string;
  /** The exact bytes the registry stores and the digest names. */
  bytes: Buffer;
  digest: string;
}

/**
 * The image manifest (Docker v2 schema 2, or OCI image-spec manifest.md) for a config and its layers. A zstd layer
 * has no Docker media type and takes the OCI one. Serialised with 3-space indent, as before: the digest of a
 * re-push must not change.
 */
export function buildManifest(
  format: ManifestFormat,
  config: { size: number; digest: string },
  layers: readonly { size: number; digest: string; compression: Compression }[],
): ImageManifest {
  const types = MEDIA_TYPES[format];
  const manifest = {
    schemaVersion: 2,
    mediaType: types.manifest,
    config: { mediaType: types.config, size: config.size, digest: config.digest },
    layers: layers.map((l) => ({
      mediaType: types.layer[l.compression] || MEDIA_TYPES.oci.layer[l.compression],
      size: l.size,
      digest: l.digest,
    })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
  return { mediaType: types.manifest, bytes, digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}` };
}

/**
 * spec.md §Pushing Manifests (end-7): PUT /v2/<name>/manifests/<tag>, Content-Type = mediaType → 201. The registry
 * echoes the digest it stored (Docker-Content-Digest); another one means it changed the bytes.
 */
export async function commitManifest(
  client: RegistryClient,
  repository: string,
  tag: string,
  manifest: ImageManifest,
): Promise<void> {
  const res = await client.request(
    {
      method: "PUT",
      url: `/v2/${repository}/manifests/${tag}`,
      headers: { "content-type": manifest.mediaType, "content-length": String(manifest.bytes.length) },
      body: () => manifest.bytes,
    },
    `Pushing the manifest ${repository}:${tag}`,
    [201],
  );
  const echoed = header(res, "docker-content-digest");
  if (echoed && echoed !== manifest.digest)
    throw new UserError(`The registry ${client.registry} stored the manifest as ${echoed}, not ${manifest.digest}.`);
}
