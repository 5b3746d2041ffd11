import { Readable } from "node:stream";
import { UserError } from "../errors.js";
import { repositoryScope } from "./auth.js";
import { BlobWriter } from "./blob-writer.js";
import type { Blob } from "./blob-writer.js";
import { RegistryClient, RegistryHttpError, defaultRetryPolicy, explainNetworkError } from "./client.js";
import type { RetryPolicy } from "./client.js";
import type { Credentials } from "./credentials.js";
import { resolveCredentials } from "./credentials.js";
import { KnownBlobs } from "./known-blobs.js";
import { openBlobRange, prepareImage, pruneLayerCache, zstdAvailable } from "./layers/index.js";
import type { Compression, EngineImage, LayerBlob, LayerSource, StreamedUpload } from "./layers/index.js";
import { buildManifest, commitManifest } from "./manifest.js";
import type { ManifestFormat } from "./manifest.js";
import type { ProgressSink } from "./progress.js";
import { parseReference } from "./reference.js";
import { cacheRoot } from "./settings.js";

export { MEDIA_TYPES } from "./manifest.js";

/**
 * Pushes a local image to a registry: the layer sources (./layers) produce compressed blobs, the blob writer
 * (./blob-writer.ts) sends them, at most `concurrency` at once, then the manifest goes to every tag. Nothing here
 * knows the engine: the caller hands over the image as `LocalImage` (src/docker/push.ts does for the engine).
 */

/** An image in a local engine, as the push needs it. */
export interface LocalImage {
  /** The name the user gave, for messages. */
  name: string;
  image: EngineImage;
  /** The engine's layer storage, opened once the registry answered; undefined: layers come from image save. */
  openStorage?: () => Promise<LayerSource | undefined>;
  /** DiffIDs among `wanted` of layers the engine pulled from a registry (they are probably there: not streamed). */
  pulledLayers?: (wanted: Set<string>) => Promise<Set<string>>;
}

/** Plain data: the CLI reads the environment once (settings.ts) and passes what it found. */
export interface PushOptions {
  /** Manifest flavour: Docker v2 schema 2 (default) or OCI. zstd implies OCI. */
  format?: ManifestFormat;
  compression?: Compression;
  /** Blobs uploaded at once (default 5). */
  concurrency?: number;
  /**
   * Upload new layers while they are compressed (one streamed PATCH, then PUT with the digest), instead of
   * compressing to the cache first and uploading after. Default on.
   * Layers the engine pulled from a registry are never streamed: they are probably there already.
   */
  streamUploads?: boolean;
  /** Blobs bigger than this go up in chunks (default 128 MiB, as Cog). */
  chunkedThreshold?: number;
  /** Chunk size before the registry's OCI-Chunk-Min/Max-Length (default 96 MiB, as Cog). */
  chunkSize?: number;
  /** gzip level 0-9 (default 1). */
  gzipLevel?: number;
  retry?: RetryPolicy;
  /** Credentials to use instead of docker's config (login checks, tests). */
  credentials?: Credentials;
  /** More tags for the same manifest. */
  extraTags?: string[];
  progress?: ProgressSink;
  /** The push cache (default ~/.cache/cogts). */
  cacheDir?: string;
  /** Bytes of compressed layers the cache keeps after the push (default 20 GiB). */
  cacheBudget?: number;
}

export interface PushResult {
  /** `REGISTRY/REPOSITORY@sha256:…`, what users pin versions to. */
  reference: string;
  digest: string;
  /** Layer and config bytes sent in request bodies (retries included). */
  uploadedBytes: number;
  blobs: { digest: string; size: number; outcome: "exists" | "mounted" | "uploaded" }[];
  /** Whether layers were read from the engine (false: the push cache had them all). */
  exported: boolean;
  /** Where the layers came from: the push cache, the engine's storage directory, or an image save export. */
  layersFrom: "cache" | "storage" | "save";
}

class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

/**
 * Pushes a local image to a registry over the OCI distribution API and returns its digest. Blobs go first
 * (skipped when present, mounted when known in another repository, else uploaded), then the manifest at each
 * tag (distribution-spec spec.md §Push).
 */
export async function pushLocalImage(ref: string, local: LocalImage, options: PushOptions = {}): Promise<PushResult> {
  const target = parseReference(ref);
  if (!target.tag) throw new UserError(`Push to a tag, not a digest: ${ref}.`);
  const format = options.compression === "zstd" ? "oci" : (options.format ?? "docker");
  const compression = options.compression ?? "gzip";
  if (compression === "zstd" && !zstdAvailable())
    throw new UserError(`zstd compression needs Node 22.15+ or 23.8+ (this is ${process.version}); push with gzip.`);
  const root = options.cacheDir ?? cacheRoot();
  const credentials = options.credentials ?? (await resolveCredentials(target.registry));
  const client = new RegistryClient(target.registry, credentials, options.retry ?? defaultRetryPolicy);
  const repo = target.repository;
  const known = new KnownBlobs(root);
  await known.load();
  const limiter = new Limiter(options.concurrency ?? 5);
  const progress = options.progress;
  const writer = new BlobWriter(client, {
    repository: repo,
    progress,
    chunkedThreshold: options.chunkedThreshold ?? 128 * 1024 * 1024,
    chunkSize: options.chunkSize ?? 96 * 1024 * 1024,
  });
  const uploads = new Map<string, Promise<void>>();
  /** Cache files this push uses: pruning after it must not delete them. */
  const inUse = new Set<string>();
  const outcomes: PushResult["blobs"] = [];

  const uploadOne = async (blob: Blob): Promise<void> => {
    const source = () => {
      const r = known.where(client.registry, blob.digest);
      return r && r !== repo ? r : undefined;
    };
    const outcome = await writer.uploadOne(blob, source);
    outcomes.push({ digest: blob.digest, size: blob.size, outcome });
    known.note(client.registry, blob.digest, repo);
  };
  /** Each digest once; a streamed upload that fails is sent again the ordinary way. */
  const schedule = (blob: Blob, streamed?: StreamedUpload): Promise<void> => {
    let task = uploads.get(blob.digest);
    if (!task && streamed) {
      task = writer.commitStreamed(blob, streamed).then((ok) => {
        if (!ok) return limiter.run(() => uploadOne(blob));
        outcomes.push({ digest: blob.digest, size: blob.size, outcome: "uploaded" });
        known.note(client.registry, blob.digest, repo);
        return undefined;
      });
      task.catch(() => undefined);
      uploads.set(blob.digest, task);
    }
    if (!task) {
      task = limiter.run(() => uploadOne(blob));
      task.catch(() => undefined);
      uploads.set(blob.digest, task);
    }
    return task;
  };
  const layerBlob = (l: Omit<LayerBlob, "diffId">): Blob => {
    inUse.add(l.path);
    return {
      digest: l.digest,
      size: l.size,
      label: l.digest.slice(7, 19),
      open: (start, end) => openBlobRange(l.path, start, end),
    };
  };

  try {
    // Scopes up front, including pull on the repositories blobs may be mounted from (token.md §scope).
    client.auth.addScopes(repositoryScope(repo, ["pull", "push"]));
    await client.ping();
    const storage = await local.openStorage?.();
    const streamUploads = options.streamUploads ?? true;
    const prepared = await prepareImage(local.image, {
      compression,
      cacheDir: root,
      gzipLevel: options.gzipLevel,
      imageName: local.name,
      storage,
      onStorageFallback: (reason) =>
        progress?.note?.(
          `Reading layers from the engine's storage failed (${reason.message}); exporting the image instead.`,
        ),
      blobExists: (digest: string) => writer.exists(digest, "Checking a cached layer"),
      onBlobReady: (blob, streamed) => {
        void schedule(layerBlob(blob), streamed);
      },
      ...(streamUploads ? { openStreamedUpload: () => writer.stream(), pulledLayers: local.pulledLayers } : {}),
    });
    const sources = new Set(
      prepared.layers.map((l) => known.where(client.registry, l.digest)).filter((r): r is string => !!r && r !== repo),
    );
    if (sources.size) client.auth.addScopes(...[...sources].map((r) => repositoryScope(r, ["pull"])));
    const configBlob: Blob = {
      digest: prepared.configDigest,
      size: prepared.config.length,
      label: "config",
      open: (start, end) => Readable.from([prepared.config.subarray(start, end)]),
    };
    await Promise.all([...prepared.layers.map((l) => schedule(layerBlob(l))), schedule(configBlob)]);
    // Uploads of blobs the export produced but the manifest does not use still have to settle.
    await Promise.allSettled(uploads.values());

    const manifest = buildManifest(
      format,
      { size: prepared.config.length, digest: prepared.configDigest },
      prepared.layers,
    );
    for (const tag of [target.tag, ...(options.extraTags ?? [])]) await commitManifest(client, repo, tag, manifest);
    return {
      reference: `${target.registry}/${repo}@${manifest.digest}`,
      digest: manifest.digest,
      uploadedBytes: writer.uploadedBytes,
      blobs: outcomes,
      exported: prepared.exported,
      layersFrom: prepared.layersFrom,
    };
  } catch (err) {
    const explained = explainNetworkError(err, target.registry);
    if (explained !== err) throw explained;
    if (err instanceof RegistryHttpError && err.status === 404 && target.registry === "r8.im") {
      throw new UserError(
        `Unable to find existing Replicate model ${repo}: go to replicate.com and create a new model before pushing.`,
      );
    }
    throw err;
  } finally {
    await Promise.allSettled(uploads.values());
    await known.save().catch(() => undefined);
    await pruneLayerCache(options.cacheBudget ?? 20 * 1024 ** 3, inUse, root).catch(() => undefined);
    await client.close();
  }
}
