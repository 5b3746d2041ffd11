import { LayerCache, loadImageRecord, sha256 } from "./cache.js";
import type { LayerBlob, PreparedImage } from "./types.js";

/** Source one of three: the push cache alone, when it has the image's record and every layer (a re-push). */
export async function fromCache(
  cache: LayerCache,
  root: string,
  imageId: string,
  inRegistry?: (digest: string) => Promise<boolean>,
): Promise<PreparedImage | undefined> {
  const record = await loadImageRecord(root, imageId);
  if (!record) return undefined;
  const layers: LayerBlob[] = [];
  for (const diffId of record.diffIds) {
    const blob = await cache.get(diffId, inRegistry);
    if (!blob) return undefined;
    layers.push(blob);
  }
  const config = Buffer.from(record.config, "base64");
  return { imageId, config, configDigest: sha256(config), layers, exported: false, layersFrom: "cache" };
}
