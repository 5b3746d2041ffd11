import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, Readable, Transform, pipeline } from "node:stream";
import type { TransformCallback } from "node:stream";
import type Docker from "dockerode";
import { UserError } from "../errors.js";
import { repositoryScope } from "./auth.js";
import { RegistryClient, RegistryHttpError, backoffDelay, defaultRetryPolicy, errorDetailOf, explainNetworkError, header, isRetryable, sleep } from "./client.js";
import type { RetryPolicy, RegistryResponse } from "./client.js";
import type { Credentials } from "./credentials.js";
import { resolveCredentials } from "./credentials.js";
import { cacheRoot, layerCacheBudget, openBlobRange, prepareImage, pruneLayerCache, zstdAvailable } from "./layers.js";
import type { Compression, LayerBlob, LayerSource, StreamedUpload } from "./layers.js";
import { parseReference } from "./reference.js";
import { openLocalLayerStore } from "../docker/layer-store.js";
import type { ProgressSink } from "./progress.js";

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

export interface PushOptions {
  /** The engine holding `image` (default: connectEngine()). */
  docker?: Docker;
  /** Manifest flavour: Docker v2 schema 2 (default) or OCI. zstd implies OCI. */
  format?: "docker" | "oci";
  compression?: Compression;
  /** Blobs uploaded at once (default `COG_PUSH_CONCURRENCY` or 5). */
  concurrency?: number;
  /**
   * Upload new layers while they are compressed (one streamed PATCH, then PUT with the digest), instead of
   * compressing to the cache first and uploading after. Default on; `COG_PUSH_STREAM=0` turns it off.
   * Layers the engine pulled from a registry are never streamed: they are probably there already.
   */
  streamUploads?: boolean;
  /** Blobs bigger than this go up in chunks (default 128 MiB, as Cog). */
  chunkedThreshold?: number;
  /** Chunk size before the registry's OCI-Chunk-Min/Max-Length (default 96 MiB, as Cog). */
  chunkSize?: number;
  retry?: RetryPolicy;
  /** Credentials to use instead of docker's config (login checks, tests). */
  credentials?: Credentials;
  /** More tags for the same manifest. */
  extraTags?: string[];
  progress?: ProgressSink;
  cacheDir?: string;
  /**
   * Where to read layers without exporting the image: default the local engine's storage when readable
   * (src/docker/layer-store.ts); null to always use image save.
   */
  storage?: LayerSource | null;
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

interface Blob {
  digest: string;
  size: number;
  open(start: number, end: number): Readable;
  label: string;
}

/** Registry → digest → a repository that has it, so blobs can be mounted instead of uploaded. */
class KnownBlobs {
  private data: Record<string, Record<string, string>> = {};
  private readonly path: string;
  constructor(root: string) { this.path = join(root, "push", "known-blobs.json"); }
  async load(): Promise<void> {
    try { this.data = JSON.parse(await readFile(this.path, "utf8")) as typeof this.data; } catch { this.data = {}; }
  }
  where(registry: string, digest: string): string | undefined { return this.data[registry]?.[digest]; }
  note(registry: string, digest: string, repository: string): void {
    (this.data[registry] ??= {})[digest] = repository;
  }
  async save(): Promise<void> {
    await mkdir(join(this.path, ".."), { recursive: true });
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(this.data));
    await rename(temp, this.path);
  }
}

class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try { return await task(); } finally { this.active--; this.queue.shift()?.(); }
  }
}

function defaultConcurrency(): number {
  const n = Number(process.env.COG_PUSH_CONCURRENCY ?? "5");
  return Number.isInteger(n) && n > 0 ? n : 5;
}

function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  url.searchParams.set("digest", digest);
  return url;
}

/** The upload's next Location, resolved against the request URL (it may be relative, and may carry state). */
function locationOf(res: RegistryResponse): URL {
  const loc = header(res, "location");
  if (!loc) throw new UserError(`The registry answered ${res.status} to ${res.url.pathname} without a Location header.`);
  return new URL(loc, res.url);
}

/** `Range: 0-<end>` → the next offset. distribution sends `0--1` for an empty session. */
function nextOffset(res: RegistryResponse): number | undefined {
  const range = header(res, "range");
  const m = range ? /^(?:bytes=)?0-(-?\d+)$/.exec(range.trim()) : null;
  return m ? Number(m[1]) + 1 : undefined;
}

/** Status codes with which a registry says it does not do chunked (PATCH) uploads. */
const CHUNKING_REFUSED = new Set([400, 405, 411, 415, 501]);

/** The registry no longer knows an upload session; the blob starts over in a new one. */
class SessionLostError extends UserError {
  constructor(label: string) { super(`The registry dropped the upload session of ${label}.`); }
}

class Counter extends Transform {
  constructor(private readonly onBytes: (n: number) => void) { super(); }
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void { this.onBytes(chunk.length); done(null, chunk); }
}

/**
 * Pushes a local engine image to a registry over the OCI distribution API and returns its digest.
 * Blobs go first (skipped when present, mounted when known in another repository, else uploaded whole or
 * in chunks), then the manifest at the tag (distribution-spec §Push).
 */
export async function pushImage(ref: string, image: string, options: PushOptions = {}): Promise<PushResult> {
  const target = parseReference(ref);
  if (!target.tag) throw new UserError(`Push to a tag, not a digest: ${ref}.`);
  const format = options.compression === "zstd" ? "oci" : options.format ?? "docker";
  const compression = options.compression ?? "gzip";
  if (compression === "zstd" && !zstdAvailable()) throw new UserError(`zstd compression needs Node 22.15+ or 23.8+ (this is ${process.version}); push with gzip.`);
  const root = options.cacheDir ?? cacheRoot();
  const docker = options.docker ?? (await import("../docker/engine.js")).connectEngine();
  const engineImage = docker.getImage(image);
  const credentials = options.credentials ?? (await resolveCredentials(target.registry));
  const client = new RegistryClient(target.registry, credentials, options.retry ?? defaultRetryPolicy);
  const known = new KnownBlobs(root);
  await known.load();
  const limiter = new Limiter(options.concurrency ?? defaultConcurrency());
  const progress = options.progress;
  const uploads = new Map<string, Promise<void>>();
  /** Cache files this push uses: pruning after it must not delete them. */
  const inUse = new Set<string>();
  const outcomes: PushResult["blobs"] = [];
  let uploadedBytes = 0;
  let chunkingRefused = false;

  const streamUploads = options.streamUploads ?? process.env.COG_PUSH_STREAM !== "0";
  const uploader = {
    chunkedThreshold: options.chunkedThreshold ?? 128 * 1024 * 1024,
    chunkSize: options.chunkSize ?? 96 * 1024 * 1024,
  };

  const repo = target.repository;
  const blobsPath = (r: string) => `/v2/${r}/blobs`;

  /** Sends one request body, counting bytes as they leave. */
  const bodyOf = (blob: Blob, start: number, end: number) => () => blob.open(start, end).pipe(new Counter((n) => {
    uploadedBytes += n;
    progress?.update(blob.label, { sent: n });
  }));

  async function startSession(blob: Blob, mountFrom?: string): Promise<{ mounted: true } | { mounted: false; location: URL; minChunk: number; maxChunk: number }> {
    if (mountFrom) {
      // distribution-spec §Mounting a blob from another repository: 201 mounted, 202 a plain session instead.
      try {
        const res = await client.request({ method: "POST", url: `${blobsPath(repo)}/uploads/?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(mountFrom)}`, headers: { "content-length": "0" } }, `Mounting ${blob.label}`, [201, 202]);
        if (res.status === 201) return { mounted: true };
        return { mounted: false, location: locationOf(res), ...chunkLimits(res) };
      } catch (err) {
        if (err instanceof RegistryHttpError && !err.retryable) { /* go-containerregistry's fallback: upload without mount */ } else throw err;
      }
    }
    // distribution-spec §Pushing blobs: POST opens an upload session → 202 with Location.
    const res = await client.request({ method: "POST", url: `${blobsPath(repo)}/uploads/`, headers: { "content-length": "0" } }, `Starting the upload of ${blob.label}`, [202]);
    return { mounted: false, location: locationOf(res), ...chunkLimits(res) };
  }

  function chunkLimits(res: RegistryResponse): { minChunk: number; maxChunk: number } {
    const min = Number(header(res, "oci-chunk-min-length") ?? 0);
    const max = Number(header(res, "oci-chunk-max-length") ?? 0);
    return { minChunk: Number.isFinite(min) && min > 0 ? min : 0, maxChunk: Number.isFinite(max) && max > 0 ? max : Infinity };
  }

  /** distribution-spec §Pushing a blob monolithically: PUT <location>?digest= with the whole body → 201. */
  async function putWhole(blob: Blob, location: URL): Promise<void> {
    // One attempt only: a session whose PUT failed is gone, so uploadBlob retries with a new one.
    const res = await client.send({
      method: "PUT", url: withDigest(location, blob.digest),
      headers: { "content-type": "application/octet-stream", "content-length": String(blob.size) },
      body: bodyOf(blob, 0, blob.size),
    }, `Uploading ${blob.label}`);
    if (res.status !== 201) throw new RegistryHttpError(client.registry, res.status, `Uploading ${blob.label}`, errorDetailOf(res), retryAfter(res));
  }

  /** distribution-spec §Pushing a blob in chunks: PATCH with Content-Range, resume from GET's Range, PUT to close. */
  async function putChunked(blob: Blob, session: { location: URL; minChunk: number; maxChunk: number }): Promise<"done" | "refused"> {
    const chunk = Math.min(Math.max(uploader.chunkSize, session.minChunk), session.maxChunk);
    let location = session.location;
    let offset = 0;
    let failures = 0;
    while (offset < blob.size) {
      const end = Math.min(offset + chunk, blob.size);
      try {
        const res = await client.send({
          method: "PATCH", url: location,
          headers: { "content-type": "application/octet-stream", "content-range": `${offset}-${end - 1}`, "content-length": String(end - offset) },
          body: bodyOf(blob, offset, end),
        }, `Uploading ${blob.label}`);
        if (res.status === 202) {
          location = locationOf(res);
          offset = nextOffset(res) ?? end;
          continue;
        }
        if (offset === 0 && CHUNKING_REFUSED.has(res.status)) return "refused";
        if (res.status !== 416 && res.status !== 429 && res.status < 500) {
          throw new RegistryHttpError(client.registry, res.status, `Uploading ${blob.label}`, errorDetailOf(res));
        }
        throw new RegistryHttpError(client.registry, res.status, `Uploading ${blob.label}`, errorDetailOf(res), retryAfter(res));
      } catch (err) {
        const outOfOrder = err instanceof RegistryHttpError && err.status === 416;
        if (!outOfOrder && !isRetryable(err)) throw err;
        if (++failures >= client.retry.attempts) throw err;
        await sleep(outOfOrder ? 0 : backoffDelay(client.retry, failures, err));
        // distribution-spec §Resuming: GET <location> → 204 with the Range the registry holds.
        const status = await client.request({ method: "GET", url: location }, `Checking the upload of ${blob.label}`).catch(() => undefined);
        // distribution invalidates a session whose PATCH died halfway (its signed state no longer matches).
        if (!status || status.status !== 204) throw new SessionLostError(blob.label);
        location = header(status, "location") ? locationOf(status) : location;
        const resumeAt = nextOffset(status) ?? 0;
        progress?.update(blob.label, { sent: resumeAt - offset, resumed: true });
        offset = resumeAt;
      }
    }
    await client.request({ method: "PUT", url: withDigest(location, blob.digest), headers: { "content-length": "0" } }, `Finishing ${blob.label}`, [201]);
    return "done";
  }

  async function uploadBlob(blob: Blob): Promise<void> {
    progress?.start(blob.label, blob.size);
    // distribution-spec §Checking if content exists in the registry: HEAD → 200 present, 404 absent.
    const head = await client.request({ method: "HEAD", url: `${blobsPath(repo)}/${blob.digest}` }, `Checking ${blob.label}`, [200, 404]);
    if (head.status === 200) {
      known.note(client.registry, blob.digest, repo);
      outcomes.push({ digest: blob.digest, size: blob.size, outcome: "exists" });
      progress?.finish(blob.label, "exists");
      return;
    }
    const source = known.where(client.registry, blob.digest);
    const mountFrom = source && source !== repo ? source : undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        const session = await startSession(blob, mountFrom);
        if (session.mounted) {
          outcomes.push({ digest: blob.digest, size: blob.size, outcome: "mounted" });
          progress?.finish(blob.label, "mounted");
          break;
        }
        progress?.update(blob.label, { reset: true });
        if (blob.size > uploader.chunkedThreshold && !chunkingRefused) {
          if ((await putChunked(blob, session)) === "refused") {
            chunkingRefused = true;
            await client.request({ method: "DELETE", url: session.location }, `Cancelling ${blob.label}`).catch(() => undefined);
            continue;
          }
        } else {
          await putWhole(blob, session.location);
        }
        outcomes.push({ digest: blob.digest, size: blob.size, outcome: "uploaded" });
        progress?.finish(blob.label, "pushed");
        break;
      } catch (err) {
        // A whole-blob PUT that failed, or a chunked session the registry dropped: start a new session.
        if (attempt >= client.retry.attempts || !(isRetryable(err) || err instanceof SessionLostError)) throw err;
        await sleep(backoffDelay(client.retry, attempt, err));
      }
    }
    known.note(client.registry, blob.digest, repo);
  }

  const streamedResults = new WeakMap<StreamedUpload, Promise<URL | undefined>>();

  /** distribution-spec §Pushing a blob in chunks, streamed: POST, then one PATCH whose body is produced as it goes. */
  function openStreamedUpload(): StreamedUpload | undefined {
    const sink = new PassThrough({ highWaterMark: 4 << 20 });
    // The producer destroys the sink when its layer fails. That aborts the request wherever it is: a body stream
    // that dies before undici starts reading it (the layer failed while the POST was out) would otherwise leave
    // the PATCH waiting forever, and client.close() with it.
    sink.on("error", () => undefined);
    const abort = new AbortController();
    sink.on("close", () => {
      if (!sink.readableEnded) abort.abort(new Error("the layer failed before its upload finished"));
    });
    let consumed = false;
    const result = (async () => {
      try {
        const res = await client.request({ method: "POST", url: `${blobsPath(repo)}/uploads/`, headers: { "content-length": "0" } }, "Starting a streamed upload", [202]);
        if (abort.signal.aborted) return undefined;
        const patch = await client.send({
          method: "PATCH", url: locationOf(res), headers: { "content-type": "application/octet-stream" }, signal: abort.signal,
          body: () => {
            // The body can be sent once: a retry after a 401 must fail over to the upload from the cache.
            if (consumed) throw new Error("streamed body already sent");
            consumed = true;
            // pipeline, not pipe: a layer that fails midway must abort this request, not leave it waiting.
            return pipeline(sink, new Counter((n) => { uploadedBytes += n; }), () => undefined);
          },
        }, "Streaming a layer");
        return patch.status === 202 ? locationOf(patch) : undefined;
      } catch {
        return undefined;
      } finally {
        // Whatever happened, the compressor must not wait on a reader that is gone.
        sink.resume();
      }
    })();
    const handle: StreamedUpload = { sink };
    streamedResults.set(handle, result);
    return handle;
  }

  /** Closes a streamed upload with the digest now known; false sends the blob the ordinary way. */
  async function finishStreamed(blob: Blob, streamed: StreamedUpload): Promise<boolean> {
    const location = await streamedResults.get(streamed);
    if (!location) return false;
    try {
      progress?.start(blob.label, blob.size);
      await client.request({ method: "PUT", url: withDigest(location, blob.digest), headers: { "content-length": "0" } }, `Finishing ${blob.label}`, [201]);
    } catch {
      return false;
    }
    outcomes.push({ digest: blob.digest, size: blob.size, outcome: "uploaded" });
    progress?.finish(blob.label, "pushed");
    known.note(client.registry, blob.digest, repo);
    return true;
  }

  const schedule = (blob: Blob, streamed?: StreamedUpload): Promise<void> => {
    let task = uploads.get(blob.digest);
    if (!task && streamed) {
      task = finishStreamed(blob, streamed).then((ok) => (ok ? undefined : limiter.run(() => uploadBlob(blob))));
      task.catch(() => undefined);
      uploads.set(blob.digest, task);
    }
    if (!task) {
      task = limiter.run(() => uploadBlob(blob));
      task.catch(() => undefined);
      uploads.set(blob.digest, task);
    }
    return task;
  };
  const layerBlob = (l: Omit<LayerBlob, "diffId">): Blob => {
    inUse.add(l.path);
    return { digest: l.digest, size: l.size, label: l.digest.slice(7, 19), open: (start, end) => openBlobRange(l.path, start, end) };
  };

  try {
    // Scopes up front, including pull on the repositories blobs may be mounted from (token.md §scope).
    client.auth.addScopes(repositoryScope(repo, ["pull", "push"]));
    await client.ping();
    const storage = options.storage === undefined ? await openLocalLayerStore(docker) : options.storage ?? undefined;
    const prepared = await prepareImage(engineImage as unknown as Parameters<typeof prepareImage>[0], {
      compression, cacheDir: root, imageName: image, storage,
      onStorageFallback: (reason) => progress?.note?.(`Reading layers from the engine's storage failed (${reason.message}); exporting the image instead.`),
      blobExists: async (digest: string) => (await client.request({ method: "HEAD", url: `${blobsPath(repo)}/${digest}` }, "Checking a cached layer", [200, 404])).status === 200,
      onBlobReady: (blob, streamed) => { void schedule(layerBlob(blob), streamed); },
      ...(streamUploads ? { openStreamedUpload, pulledLayers: (wanted: Set<string>) => pulledLayerIds(docker, wanted) } : {}),
    });
    const sources = new Set(prepared.layers.map((l) => known.where(client.registry, l.digest)).filter((r): r is string => !!r && r !== repo));
    if (sources.size) client.auth.addScopes(...[...sources].map((r) => repositoryScope(r, ["pull"])));
    const configBlob: Blob = {
      digest: prepared.configDigest, size: prepared.config.length, label: "config",
      open: (start, end) => Readable.from([prepared.config.subarray(start, end)]),
    };
    await Promise.all([...prepared.layers.map((l) => schedule(layerBlob(l))), schedule(configBlob)]);
    // Uploads of blobs the export produced but the manifest does not use still have to settle.
    await Promise.allSettled(uploads.values());

    const types = MEDIA_TYPES[format];
    const manifest = {
      schemaVersion: 2,
      mediaType: types.manifest,
      config: { mediaType: types.config, size: prepared.config.length, digest: prepared.configDigest },
      layers: prepared.layers.map((l) => ({ mediaType: types.layer[l.compression] || MEDIA_TYPES.oci.layer[l.compression], size: l.size, digest: l.digest })),
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 3));
    const digest = `sha256:${createHash("sha256").update(manifestBytes).digest("hex")}`;
    // distribution-spec §Pushing Manifests: PUT /v2/<name>/manifests/<reference>, Content-Type = mediaType → 201.
    for (const tag of [target.tag, ...(options.extraTags ?? [])]) {
      const res = await client.request({
        method: "PUT", url: `/v2/${repo}/manifests/${tag}`,
        headers: { "content-type": types.manifest, "content-length": String(manifestBytes.length) },
        body: () => manifestBytes,
      }, `Pushing the manifest ${repo}:${tag}`, [201]);
      const echoed = header(res, "docker-content-digest");
      if (echoed && echoed !== digest) throw new UserError(`The registry ${target.registry} stored the manifest as ${echoed}, not ${digest}.`);
    }
    return { reference: `${target.registry}/${repo}@${digest}`, digest, uploadedBytes, blobs: outcomes, exported: prepared.exported, layersFrom: prepared.layersFrom };
  } catch (err) {
    const explained = explainNetworkError(err, target.registry);
    if (explained !== err) throw explained;
    if (err instanceof RegistryHttpError && err.status === 404 && target.registry === "r8.im") {
      throw new UserError(`Unable to find existing Replicate model ${repo}: go to replicate.com and create a new model before pushing.`);
    }
    throw err;
  } finally {
    await Promise.allSettled(uploads.values());
    await known.save().catch(() => undefined);
    await pruneLayerCache(layerCacheBudget(), inUse, root).catch(() => undefined);
    await client.close();
  }
}

/** DiffIDs among `wanted` that also belong to images pulled from a registry (they have RepoDigests). */
async function pulledLayerIds(docker: Docker, wanted: Set<string>): Promise<Set<string>> {
  const ids = new Set<string>();
  const images = (await docker.listImages()).filter((i) => (i.RepoDigests ?? []).length > 0).slice(0, 100);
  for (const image of images) {
    const info = await docker.getImage(image.Id).inspect().catch(() => undefined);
    for (const layer of info?.RootFS?.Layers ?? []) if (wanted.has(layer)) ids.add(layer);
  }
  return ids;
}

function retryAfter(res: RegistryResponse): number | undefined {
  const v = header(res, "retry-after");
  return v && /^\d+$/.test(v) ? Number(v) * 1000 : undefined;
}

