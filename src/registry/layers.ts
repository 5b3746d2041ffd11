import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, posix } from "node:path";
import { PassThrough, Transform } from "node:stream";
import type { Readable, TransformCallback, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import { UserError } from "../errors.js";
import { ParallelGzip } from "./gzip.js";

/**
 * Turns a local engine image into registry blobs: the config JSON and one compressed file per layer,
 * kept in an on-disk cache keyed by the layer's DiffID so a re-push neither exports nor compresses again.
 * Compression happens once, into a file, while both digests are computed; uploads then read that file.
 */
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

/** Whether the running node can compress zstd (node:zlib has it from 22.15 / 23.8; not in Node 20). */
export function zstdAvailable(): boolean {
  return typeof (zlib as unknown as Record<string, unknown>).createZstdCompress === "function";
}

export function cacheRoot(): string {
  if (process.env.COGTS_CACHE_DIR) return process.env.COGTS_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "cogts");
}

function gzipLevel(): number {
  const level = Number(process.env.COG_PUSH_GZIP_LEVEL ?? "1");
  return Number.isInteger(level) && level >= 0 && level <= 9 ? level : 1;
}

function compressor(compression: Compression): Transform {
  if (compression === "zstd") {
    if (!zstdAvailable()) throw new UserError(`zstd compression needs Node 22.15+ or 23.8+ (this is ${process.version}); use gzip.`);
    return (zlib as unknown as { createZstdCompress(): Transform }).createZstdCompress();
  }
  return new ParallelGzip({ level: gzipLevel() });
}

/** Copies what passes through into a second stream (a streamed upload), waiting for it, ignoring its failure. */
class Tee extends Transform {
  constructor(private readonly sink: Writable) { super(); }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.sink.destroyed || this.sink.writableEnded) { done(null, chunk); return; }
    if (this.sink.write(chunk)) done(null, chunk);
    else {
      const go = () => { this.sink.off("drain", go); this.sink.off("close", go); done(null, chunk); };
      this.sink.on("drain", go);
      this.sink.on("close", go);
    }
  }
  override _flush(done: TransformCallback): void {
    if (!this.sink.destroyed && !this.sink.writableEnded) this.sink.end();
    done();
  }
}

class Hasher extends Transform {
  private readonly hash = createHash("sha256");
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
  digest(): string { return `sha256:${this.hash.digest("hex")}`; }
}

function sha256(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

const hex = (digest: string) => digest.replace(/^sha256:/, "");

/** `raw` is the hash of what the export held; it is the DiffID only when cogts compressed it (`compressedHere`). */
interface Stored { raw: string; compressedHere: boolean; blob: Omit<LayerBlob, "diffId"> }

interface LayerMeta { diffId: string; digest: string; size: number; compression: Compression; file: string }

class LayerCache {
  readonly dir: string;
  constructor(readonly compression: Compression, root = cacheRoot()) {
    this.dir = join(root, "push", `layers-${compression}`);
  }
  /**
   * The cached layer for a DiffID. When its compressed file was pruned, the record alone still serves if
   * `inRegistry` confirms the target registry has the blob: nothing needs its bytes then.
   */
  async get(diffId: string, inRegistry?: (digest: string) => Promise<boolean>): Promise<LayerBlob | undefined> {
    let meta: LayerMeta;
    try {
      meta = JSON.parse(await readFile(join(this.dir, `${hex(diffId)}.json`), "utf8")) as LayerMeta;
    } catch {
      return undefined;
    }
    const path = join(this.dir, meta.file);
    const st = await stat(path).catch(() => undefined);
    if (!st || st.size !== meta.size) {
      if (inRegistry && (await inRegistry(meta.digest).catch(() => false))) {
        return { diffId: meta.diffId, digest: meta.digest, size: meta.size, compression: meta.compression, path };
      }
      return undefined;
    }
    try {
      // The modification time is the last use: pruneLayerCache keeps the most recently used layers.
      const now = new Date();
      await utimes(path, now, now).catch(() => undefined);
    } catch {
      /* a read-only cache still serves */
    }
    return { diffId: meta.diffId, digest: meta.digest, size: meta.size, compression: meta.compression, path };
  }
  async put(blob: LayerBlob): Promise<void> {
    const meta: LayerMeta = { diffId: blob.diffId, digest: blob.digest, size: blob.size, compression: blob.compression, file: posix.basename(blob.path) };
    const temp = join(this.dir, `${hex(blob.diffId)}.json.${process.pid}.tmp`);
    await writeFile(temp, JSON.stringify(meta));
    await rename(temp, join(this.dir, `${hex(blob.diffId)}.json`));
  }
  async legacyNames(): Promise<Record<string, string>> {
    try { return JSON.parse(await readFile(join(this.dir, "legacy-names.json"), "utf8")) as Record<string, string>; } catch { return {}; }
  }
  async saveLegacyNames(names: Record<string, string>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `legacy-names.json.${process.pid}.tmp`);
    await writeFile(temp, JSON.stringify(names));
    await rename(temp, join(this.dir, "legacy-names.json"));
  }
  /** Compresses a stream into the cache, hashing both sides; an already compressed stream is stored as is. */
  async store(source: Readable, tee?: Writable): Promise<Stored> {
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `incoming-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const peek = await peekMagic(source);
    const rawHash = new Hasher();
    const outHash = new Hasher();
    let compression = this.compression;
    try {
      const stages: Transform[] = [rawHash];
      if (peek.kind === "plain") stages.push(compressor(this.compression));
      else compression = peek.kind;
      stages.push(outHash);
      if (tee) stages.push(new Tee(tee));
      await pipeline(peek.stream, ...(stages as [Transform]), createWriteStream(temp));
      const digest = outHash.digest();
      const path = join(this.dir, `${hex(digest)}.${compression === "gzip" ? "gz" : "zst"}`);
      await rename(temp, path);
      return { raw: rawHash.digest(), compressedHere: peek.kind === "plain", blob: { digest, size: outHash.bytes, compression, path } };
    } catch (err) {
      // A streamed upload must not wait for the rest of a body that will never come.
      tee?.destroy();
      await rm(temp, { force: true });
      throw err;
    }
  }
}

/** Looks at the first bytes so layers the engine already stores compressed are not compressed twice. */
async function peekMagic(source: Readable): Promise<{ kind: "plain" | Compression; stream: Readable }> {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  // The entry may already hold data (and have announced it) by the time we look: read before waiting.
  let first: Buffer | null = null;
  for (;;) {
    first = source.read() as Buffer | null;
    if (first !== null || source.readableEnded) break;
    await new Promise<void>((resolve, reject) => {
      const onReadable = () => { cleanup(); resolve(); };
      const onError = (e: Error) => { cleanup(); reject(e); };
      const cleanup = () => { source.off("readable", onReadable); source.off("end", onReadable); source.off("error", onError); };
      source.once("readable", onReadable);
      source.once("end", onReadable);
      source.once("error", onError);
    });
  }
  let kind: "plain" | Compression = "plain";
  if (first && first.length >= 4) {
    if (first[0] === 0x1f && first[1] === 0x8b) kind = "gzip";
    else if (first.readUInt32LE(0) === 0xfd2fb528) kind = "zstd";
  }
  if (first) out.write(first);
  // pipe() does not pass errors on: without this a source failing midway would leave `out` open forever.
  source.on("error", (err) => out.destroy(err));
  source.pipe(out);
  return { kind, stream: out };
}

interface ImageRecord { imageId: string; config: string; diffIds: string[] }

function imageRecordPath(root: string, imageId: string): string {
  return join(root, "push", "images", `${hex(imageId)}.json`);
}

const LEGACY_LAYER = /^[0-9a-f]{64}\/layer\.tar$/;

/**
 * The DiffID a tar entry holds, when its name tells: the OCI layout names an uncompressed layer by its
 * DiffID; the legacy layout's `<v1-id>/layer.tar` v1 IDs derive from the layer chain, so an earlier
 * export's name→DiffID record applies. Either way a cached layer is then neither hashed nor compressed again.
 */
function knownDiffId(name: string, legacyNames: Record<string, string>): string | undefined {
  const oci = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
  if (oci) return `sha256:${oci[1]}`;
  return LEGACY_LAYER.test(name) ? legacyNames[name] : undefined;
}

/** Entries at most this big are kept in memory while the export streams by (configs, tiny layers). */
const SMALL_ENTRY = 1 << 20;

/** Where layers can be read without an export: the engine's own storage (src/docker/layer-store.ts). */
export interface LayerSource {
  /** The config JSON, verified against the image ID; undefined when this source does not have the image. */
  config(imageId: string): Promise<Buffer | undefined>;
  /** Layer `index` of the stack `diffIds` as an uncompressed tar. */
  openLayer(diffIds: readonly string[], index: number): Promise<Readable>;
}

interface EngineImage {
  inspect(): Promise<{ Id: string; RootFS?: { Layers?: string[] } }>;
  get(): Promise<NodeJS.ReadableStream>;
}

export interface StreamedUpload {
  sink: Writable;
}

export interface PrepareOptions {
  compression: Compression;
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
  cacheDir?: string;
  /** Read layers here instead of exporting the image, when it has them; image save is the fallback. */
  storage?: LayerSource;
  /** Called when reading from `storage` failed and the image is exported instead (for messages). */
  onStorageFallback?: (reason: Error) => void;
}

/**
 * Prepares an engine image for pushing. When the engine's image ID and every DiffID are in the cache
 * this reads nothing from the engine but `inspect`; otherwise it reads the missing layers from the engine's
 * storage when it can (`options.storage`), else streams the image save tarball (legacy `docker save`
 * layout, or the OCI layout of newer engines: both carry manifest.json).
 */
export async function prepareImage(engineImage: EngineImage, options: PrepareOptions): Promise<PreparedImage> {
  const root = options.cacheDir ?? cacheRoot();
  const cache = new LayerCache(options.compression, root);
  const info = await engineImage.inspect().catch((err: { statusCode?: number; message?: string }) => {
    if (err?.statusCode === 404) throw new UserError(`There is no local image ${options.imageName ?? ""}`.trimEnd() + ": build it first (cog build -t NAME), or push without --no-build.");
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

  const { extract } = await import("tar-stream");
  const tar = extract();
  const small = new Map<string, Buffer>();
  const links = new Map<string, string>();
  const stored = new Map<string, Stored>();
  const wanted = new Set(info.RootFS?.Layers ?? []);
  const cachedByName = new Map<string, LayerBlob>();
  const legacyNames = await cache.legacyNames();
  const pulled = options.openStreamedUpload && options.pulledLayers ? await options.pulledLayers(wanted) : new Set<string>();
  const namedDiffIds = new Set(Object.values(legacyNames));
  const unknownNamesAreNew = [...pulled].every((id) => namedDiffIds.has(id));

  const saveStream = (await engineImage.get()) as Readable;
  const done = new Promise<void>((resolve, reject) => {
    tar.on("entry", (headerInfo, stream, next) => {
      const name = posix.normalize(headerInfo.name);
      const fail = (err: Error) => { stream.resume(); reject(err); };
      if (headerInfo.type === "symlink" || headerInfo.type === "link") {
        links.set(name, posix.normalize(posix.join(posix.dirname(name), headerInfo.linkname ?? "")));
        stream.resume();
        stream.on("end", next);
        return;
      }
      if (headerInfo.type !== "file") { stream.resume(); stream.on("end", next); return; }
      const size = headerInfo.size ?? 0;
      if (size <= SMALL_ENTRY) {
        const chunks: Buffer[] = [];
        stream.on("data", (c) => chunks.push(c as Buffer));
        stream.on("end", () => { small.set(name, Buffer.concat(chunks)); next(); });
        stream.on("error", reject);
        return;
      }
      const storeEntry = async () => {
        const known = knownDiffId(name, legacyNames);
        if (known && wanted.has(known)) {
          const hit = await cache.get(known, options.blobExists);
          if (hit) { cachedByName.set(name, hit); stream.resume(); return; }
        }
        // Stream only layers that are probably new, i.e. not pulled by the engine from a registry. A legacy-layout
        // name says nothing before the bytes are hashed (spooling to disk to find out cost more than it gained on
        // dockerd 20.10), but once every pulled layer of the image has a known name, an unknown name is new.
        const isNew = known ? !pulled.has(known) : unknownNamesAreNew;
        const streamed = isNew ? options.openStreamedUpload?.() : undefined;
        const result = await cache.store(stream as unknown as Readable, streamed?.sink);
        stored.set(name, result);
        options.onBlobReady?.(result.blob, streamed);
      };
      storeEntry().then(() => next(), fail);
    });
    tar.on("finish", resolve);
    tar.on("error", reject);
    saveStream.on("error", reject);
  });
  saveStream.pipe(tar);
  await done;

  const manifestText = small.get("manifest.json");
  if (!manifestText) throw new UserError(`The engine's export of ${info.Id} has no manifest.json; cogts cannot read this engine's image format.`);
  const manifest = JSON.parse(manifestText.toString("utf8")) as { Config: string; Layers: string[] }[];
  const entry = manifest[0];
  if (!entry) throw new UserError(`The engine's export of ${info.Id} lists no image.`);
  const resolveName = (n: string) => { let name = posix.normalize(n); for (let i = 0; i < 10 && links.has(name); i++) name = links.get(name)!; return name; };
  const config = small.get(resolveName(entry.Config));
  if (!config) throw new UserError(`The engine's export of ${info.Id} has no config ${entry.Config}.`);
  const diffIds = (JSON.parse(config.toString("utf8")) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
  if (diffIds.length !== entry.Layers.length) throw new UserError(`The image ${info.Id} lists ${entry.Layers.length} layers but its config has ${diffIds.length} DiffIDs.`);

  const layers: LayerBlob[] = [];
  for (const [index, layerName] of entry.Layers.entries()) {
    const name = resolveName(layerName);
    const diffId = diffIds[index]!;
    let blob: LayerBlob | undefined = cachedByName.get(name);
    if (!blob) {
      let result = stored.get(name);
      if (!result) {
        const data = small.get(name);
        if (!data) throw new UserError(`The engine's export of ${info.Id} is missing layer ${layerName}.`);
        result = await cache.store(PassThroughOf(data));
        stored.set(name, result);
        options.onBlobReady?.(result.blob);
      }
      if (result.compressedHere && result.raw !== diffId) {
        throw new UserError(`Layer ${layerName} of ${info.Id} hashes to ${result.raw}, not its DiffID ${diffId}: the export is corrupt.`);
      }
      blob = { diffId, ...result.blob };
      await cache.put(blob);
    }
    if (LEGACY_LAYER.test(name)) legacyNames[name] = diffId;
    layers.push(blob);
  }
  await cache.saveLegacyNames(legacyNames);
  await saveImageRecord(root, { imageId: info.Id, config: config.toString("base64"), diffIds });
  return { imageId: info.Id, config, configDigest: sha256(config), layers, exported: true, layersFrom: "save" };
}

async function saveImageRecord(root: string, record: ImageRecord): Promise<void> {
  await mkdir(join(root, "push", "images"), { recursive: true });
  const temp = `${imageRecordPath(root, record.imageId)}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(record));
  await rename(temp, imageRecordPath(root, record.imageId));
}

/** Layers read from the engine's storage at once: reading is cheap, this overlaps compression and uploads. */
const STORAGE_LAYERS_AT_ONCE = 3;

/**
 * Prepares the image from the engine's storage: each layer not in the cache is read, compressed (and streamed
 * to the registry when new) and checked against its DiffID. Undefined when the storage lacks the image.
 */
async function fromStorage(storage: LayerSource, imageId: string, cache: LayerCache, root: string, options: PrepareOptions): Promise<PreparedImage | undefined> {
  const config = await storage.config(imageId);
  if (!config) return undefined;
  const diffIds = (JSON.parse(config.toString("utf8")) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
  const pulled = options.openStreamedUpload && options.pulledLayers ? await options.pulledLayers(new Set(diffIds)) : new Set<string>();
  const layers: LayerBlob[] = new Array(diffIds.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    for (let index = next++; index < diffIds.length && !failed; index = next++) {
      const diffId = diffIds[index]!;
      const hit = await cache.get(diffId, options.blobExists);
      if (hit) { layers[index] = hit; continue; }
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
        throw new Error(`layer ${index} read from the engine's storage hashes to ${result.raw}, not its DiffID ${diffId}`);
      }
      const blob = { diffId, ...result.blob };
      await cache.put(blob);
      options.onBlobReady?.(result.blob, streamed);
      layers[index] = blob;
    }
  };
  // On a failure the other layers in progress finish (they are good) before the caller falls back.
  const settled = await Promise.allSettled(Array.from({ length: Math.min(STORAGE_LAYERS_AT_ONCE, diffIds.length) }, () => worker().catch((err) => { failed = true; throw err; })));
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failure) throw failure.reason;
  await saveImageRecord(root, { imageId, config: config.toString("base64"), diffIds });
  return { imageId, config, configDigest: sha256(config), layers, exported: true, layersFrom: "storage" };
}

function PassThroughOf(data: Buffer): Readable {
  const p = new PassThrough();
  p.end(data);
  return p;
}

async function fromCache(cache: LayerCache, root: string, imageId: string, inRegistry?: (digest: string) => Promise<boolean>): Promise<PreparedImage | undefined> {
  let record: ImageRecord;
  try {
    record = JSON.parse(await readFile(imageRecordPath(root, imageId), "utf8")) as ImageRecord;
  } catch {
    return undefined;
  }
  const layers: LayerBlob[] = [];
  for (const diffId of record.diffIds) {
    const blob = await cache.get(diffId, inRegistry);
    if (!blob) return undefined;
    layers.push(blob);
  }
  const config = Buffer.from(record.config, "base64");
  return { imageId, config, configDigest: sha256(config), layers, exported: false, layersFrom: "cache" };
}

/** The push cache's budget for compressed layers: `COGTS_PUSH_CACHE_MAX_BYTES`, default 20 GiB. */
export function layerCacheBudget(): number {
  const raw = process.env.COGTS_PUSH_CACHE_MAX_BYTES?.trim();
  const n = raw ? Number(raw) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : 20 * 1024 ** 3;
}

/**
 * Keeps the cached compressed layers within `maxBytes`, deleting the least recently used first, never one in
 * `keep` (the push in progress). A layer whose file is gone is exported and compressed again if a later push
 * needs its bytes; its DiffID→digest record stays, it is small. Returns the bytes freed.
 */
export async function pruneLayerCache(maxBytes: number, keep: ReadonlySet<string>, root = cacheRoot()): Promise<number> {
  const files: { path: string; size: number; used: number }[] = [];
  for (const compression of ["gzip", "zstd"] as const) {
    const dir = new LayerCache(compression, root).dir;
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!/^[0-9a-f]{64}\.(gz|zst)$/.test(name)) continue;
      const path = join(dir, name);
      const st = await stat(path).catch(() => undefined);
      if (st) files.push({ path, size: st.size, used: st.mtimeMs });
    }
  }
  let total = files.reduce((sum, f) => sum + f.size, 0);
  let freed = 0;
  for (const file of files.sort((a, b) => a.used - b.used)) {
    if (total <= maxBytes) break;
    if (keep.has(file.path)) continue;
    await rm(file.path, { force: true });
    total -= file.size;
    freed += file.size;
  }
  return freed;
}

/** Opens a byte range of a cached blob for upload (inclusive start, exclusive end). */
export function openBlobRange(path: string, start = 0, end?: number): Readable {
  return createReadStream(path, { start, end: end === undefined ? undefined : end - 1, highWaterMark: 1 << 20 });
}
