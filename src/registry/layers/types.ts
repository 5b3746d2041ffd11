import type { Readable, Writable } from "node:stream";

export type Compression = "gzip" | "zstd";

export interface LayerBlob {
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids entry). */
  diffId: string;
  /** sha256 of the compressed file: the blob digest in the manifest. */
  digest: string;
  size: number;
  compression: Compression;
  /** The compressed file in the cache. */
  path: string;
}

export interface PreparedImage {
  imageId: string;
  config: Buffer;
  configDigest: string;
  layers: LayerBlob[];
  /** Whether layers were read from the engine (false: everything came from the cache). */
  exported: boolean;
  /** Where the layers came from: the push cache alone, the engine's storage, or an image save export. */
  layersFrom: "cache" | "storage" | "save";
}

/** Where layers can be read without an export: the engine's own storage (src/docker/layer-store.ts). */
export interface LayerSource {
  /** The config JSON, verified against the image ID; undefined when this source does not have the image. */
  config(imageId: string): Promise<Buffer | undefined>;
  /** Layer `index` of the stack `diffIds` as an uncompressed tar. */
  openLayer(diffIds: readonly string[], index: number): Promise<Readable>;
}

/** The image as the engine API shows it: inspect for the ID and DiffIDs, get for the image save tarball. */
export interface EngineImage {
  inspect(): Promise<{ Id: string; RootFS?: { Layers?: string[] } }>;
  get(): Promise<NodeJS.ReadableStream>;
}

export interface StreamedUpload {
  sink: Writable;
}

export interface PrepareOptions {
  compression: Compression;
  /** gzip level 0-9 (default 1). */
  gzipLevel?: number;
  /** For messages. */
  imageName?: string;
  /** Called as soon as a layer's compressed file is ready, so uploads overlap the export. */
  onBlobReady?: (blob: Omit<LayerBlob, "diffId">, streamed?: StreamedUpload) => void;
  /**
   * Opens an upload that receives a layer's compressed bytes while they are produced (distribution-spec
   * streamed PATCH), for layers that are probably not in the registry yet; undefined to compress first.
   */
  openStreamedUpload?: () => StreamedUpload | undefined;
  /** Whether the target registry already has a blob (lets a layer whose cached file was pruned skip export). */
  blobExists?: (digest: string) => Promise<boolean>;
  /** DiffIDs among `wanted` of layers the engine pulled from registries (likely there already). */
  pulledLayers?: (wanted: Set<string>) => Promise<Set<string>>;
  /** The push cache's root directory. */
  cacheDir: string;
  /** Read layers here instead of exporting the image, when it has them; image save is the fallback. */
  storage?: LayerSource;
  /** Called when reading from `storage` failed and the image is exported instead (for messages). */
  onStorageFallback?: (reason: Error) => void;
}
