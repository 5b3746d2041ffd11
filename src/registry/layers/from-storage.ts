import { rm } from "node:fs/promises";
import { LayerCache, saveImageRecord, sha256 } from "./cache.js";
import type { Stored } from "./cache.js";
import type { LayerBlob, LayerSource, PrepareOptions, PreparedImage } from "./types.js";

// Source two of three: the engine's storage directory (src/docker/layer-store.ts), read without an export.

/** Layers read from the engine's storage at once: reading is cheap, this overlaps compression and uploads. */
const STORAGE_LAYERS_AT_ONCE = 3;

/**
 * Prepares the image from the engine's storage: each layer not in the cache is read, compressed (and streamed
 * to the registry when new) and checked against its DiffID. Undefined when the storage lacks the image.
 */
export async function fromStorage(
  storage: LayerSource,
  imageId: string,
  cache: LayerCache,
  root: string,
  options: PrepareOptions,
): Promise<PreparedImage | undefined> {
  const config = await storage.config(imageId);
  if (!config) return undefined;
  const diffIds = (JSON.parse(config.toString("utf8")) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
  const pulled =
    options.openStreamedUpload && options.pulledLayers
      ? await options.pulledLayers(new Set(diffIds))
      : new Set<string>();
  const layers: LayerBlob[] = new Array(diffIds.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    for (let index = next++; index < diffIds.length && !failed; index = next++) {
      const diffId = diffIds[index]!;
      const hit = await cache.get(diffId, options.blobExists);
      if (hit) {
        layers[index] = hit;
        continue;
      }
      const streamed = pulled.has(diffId) ? undefined : options.openStreamedUpload?.();
      let result: Stored;
      try {
        result = await cache.store(await storage.openLayer(diffIds, index), streamed?.sink);
      } catch (err) {
        streamed?.sink.destroy();
        throw err;
      }
      if (result.raw !== diffId) {
        streamed?.sink.destroy();
        await rm(result.blob.path, { force: true });
        throw new Error(
          `layer ${index} read from the engine's storage hashes to ${result.raw}, not its DiffID ${diffId}`,
        );
      }
      const blob = { diffId, ...result.blob };
      await cache.put(blob);
      options.onBlobReady?.(result.blob, streamed);
      layers[index] = blob;
    }
  };
  // On a failure the other layers in progress finish (they are good) before the caller falls back.
  const settled = await Promise.allSettled(
    Array.from({ length: Math.min(STORAGE_LAYERS_AT_ONCE, diffIds.length) }, () =>
      worker().catch((err) => {
        failed = true;
        throw err;
      }),
    ),
  );
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failure) throw failure.reason;
  await saveImageRecord(root, { imageId, config: config.toString("base64"), diffIds });
  return { imageId, config, configDigest: sha256(config), layers, exported: true, layersFrom: "storage" };
}
