import { LayerCache } from "./cache.js";
import { fromCache } from "./from-cache.js";
import { fromSave } from "./from-save.js";
import { fromStorage } from "./from-storage.js";
import type { EngineImage, PrepareOptions, PreparedImage } from "./types.js";
import { UserError } from "../../errors.js";

/**
 * Turns a local engine image into registry blobs: the config JSON and one compressed file per layer, kept in the
 * push cache (./cache.ts). Three sources, tried in order: the cache alone, the engine's storage, image save.
 */
export type {
  Compression,
  EngineImage,
  LayerBlob,
  LayerSource,
  PrepareOptions,
  PreparedImage,
  StreamedUpload,
} from "./types.js";
export { openBlobRange, pruneLayerCache, zstdAvailable } from "./cache.js";

/**
 * Prepares an engine image for pushing. When the engine's image ID and every DiffID are in the cache
 * this reads nothing from the engine but `inspect`; otherwise it reads the missing layers from the engine's
 * storage when it can (`options.storage`), else streams the image save tarball (legacy `docker save`
 * layout, or the OCI layout of newer engines: both carry manifest.json).
 */
export async function prepareImage(engineImage: EngineImage, options: PrepareOptions): Promise<PreparedImage> {
  const root = options.cacheDir;
  const cache = new LayerCache(options.compression, root, options.gzipLevel);
  const info = await engineImage.inspect().catch((err: { statusCode?: number; message?: string }) => {
    if (err?.statusCode === 404)
      throw new UserError(
        `There is no local image ${options.imageName ?? ""}`.trimEnd() +
          ": build it first (cog build -t NAME), or push without --no-build.",
      );
    throw err;
  });
  const cached = await fromCache(cache, root, info.Id, options.blobExists);
  if (cached) return cached;
  if (options.storage) {
    try {
      const read = await fromStorage(options.storage, info.Id, cache, root, options);
      if (read) return read;
    } catch (err) {
      // Layers read so far are cached and verified; the export below finds them there.
      options.onStorageFallback?.(err as Error);
    }
  }

  return fromSave(engineImage, info, cache, root, options);
}
