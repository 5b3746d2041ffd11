import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { PassThrough, Transform } from "node:stream";
import type { Readable, TransformCallback, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import { UserError } from "../../errors.js";
import { ParallelGzip } from "../gzip.js";
import type { Compression, LayerBlob } from "./types.js";

/**
 * The push cache: one compressed file per layer, keyed by the layer's DiffID, so a re-push neither exports nor
 * compresses again. Compression happens once, into a file, while both digests are computed; uploads then read
 * that file. Also the image records (image ID → config and DiffIDs) that let a re-push skip the engine.
 */

/** Whether the running node can compress zstd (node:zlib has it from 22.15 / 23.8; not in Node 20). */
export function zstdAvailable(): boolean {
  return typeof (zlib as unknown as Record<string, unknown>).createZstdCompress === "function";
}

function compressor(compression: Compression, gzipLevel: number): Transform {
  if (compression === "zstd") {
    if (!zstdAvailable())
      throw new UserError(`zstd compression needs Node 22.15+ or 23.8+ (this is ${process.version}); use gzip.`);
    return (zlib as unknown as { createZstdCompress(): Transform }).createZstdCompress();
  }
  return new ParallelGzip({ level: gzipLevel });
}

/** Copies what passes through into a second stream (a streamed upload), waiting for it, ignoring its failure. */
class Tee extends Transform {
  constructor(private readonly sink: Writable) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.sink.destroyed || this.sink.writableEnded) {
      done(null, chunk);
      return;
    }
    if (this.sink.write(chunk)) done(null, chunk);
    else {
      const go = () => {
        this.sink.off("drain", go);
        this.sink.off("close", go);
        done(null, chunk);
      };
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
  digest(): string {
    return `sha256:${this.hash.digest("hex")}`;
  }
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

export const hex = (digest: string) => digest.replace(/^sha256:/, "");

/** `raw` is the hash of what the export held; it is the DiffID only when cogts compressed it (`compressedHere`). */
export interface Stored {
  raw: string;
  compressedHere: boolean;
  blob: Omit<LayerBlob, "diffId">;
}

interface LayerMeta {
  diffId: string;
  digest: string;
  size: number;
  compression: Compression;
  file: string;
}

export class LayerCache {
  readonly dir: string;
  constructor(
    readonly compression: Compression,
    root: string,
    private readonly gzipLevel = 1,
  ) {
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
    const meta: LayerMeta = {
      diffId: blob.diffId,
      digest: blob.digest,
      size: blob.size,
      compression: blob.compression,
      file: posix.basename(blob.path),
    };
    const temp = join(this.dir, `${hex(blob.diffId)}.json.${process.pid}.tmp`);
    await writeFile(temp, JSON.stringify(meta));
    await rename(temp, join(this.dir, `${hex(blob.diffId)}.json`));
  }
  async legacyNames(): Promise<Record<string, string>> {
    try {
      return JSON.parse(await readFile(join(this.dir, "legacy-names.json"), "utf8")) as Record<string, string>;
    } catch {
      return {};
    }
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
      if (peek.kind === "plain") stages.push(compressor(this.compression, this.gzipLevel));
      else compression = peek.kind;
      stages.push(outHash);
      if (tee) stages.push(new Tee(tee));
      await pipeline(peek.stream, ...(stages as [Transform]), createWriteStream(temp));
      const digest = outHash.digest();
      const path = join(this.dir, `${hex(digest)}.${compression === "gzip" ? "gz" : "zst"}`);
      await rename(temp, path);
      return {
        raw: rawHash.digest(),
        compressedHere: peek.kind === "plain",
        blob: { digest, size: outHash.bytes, compression, path },
      };
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
      const onReadable = () => {
        cleanup();
        resolve();
      };
      const onError = (e: Error) => {
        cleanup();
        reject(e);
      };
      const cleanup = () => {
        source.off("readable", onReadable);
        source.off("end", onReadable);
        source.off("error", onError);
      };
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

interface ImageRecord {
  imageId: string;
  config: string;
  diffIds: string[];
}

function imageRecordPath(root: string, imageId: string): string {
  return join(root, "push", "images", `${hex(imageId)}.json`);
}

export async function saveImageRecord(root: string, record: ImageRecord): Promise<void> {
  await mkdir(join(root, "push", "images"), { recursive: true });
  const temp = `${imageRecordPath(root, record.imageId)}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(record));
  await rename(temp, imageRecordPath(root, record.imageId));
}

export async function loadImageRecord(root: string, imageId: string): Promise<ImageRecord | undefined> {
  try {
    return JSON.parse(await readFile(imageRecordPath(root, imageId), "utf8")) as ImageRecord;
  } catch {
    return undefined;
  }
}

/**
 * Keeps the cached compressed layers within `maxBytes`, deleting the least recently used first, never one in
 * `keep` (the push in progress). A layer whose file is gone is exported and compressed again if a later push
 * needs its bytes; its DiffID→digest record stays, it is small. Returns the bytes freed.
 */
export async function pruneLayerCache(maxBytes: number, keep: ReadonlySet<string>, root: string): Promise<number> {
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
