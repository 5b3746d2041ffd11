import { Transform } from "node:stream";
import type { TransformCallback } from "node:stream";
import * as zlib from "node:zlib";
import { promisify } from "node:util";

/**
 * A gzip encoder for layer pushes that uses every core and skips work that gains nothing.
 *
 * The layer is cut into fixed 1 MiB segments. Each segment is deflated on libuv's thread pool, several at
 * once, with the previous segment's last 32 KiB as its dictionary and ended by a sync flush, so the pieces
 * concatenate into one ordinary deflate stream (pigz's layout): one gzip member that every client reads,
 * compressed as well as a serial deflate would. A segment that deflate does not shrink is written as stored
 * blocks instead. A layer whose first segment does not compress (model weights, archives) is stored whole
 * without trying deflate at all: a stored block costs a CRC and a copy (GB/s) against ~60 MB/s for deflate.
 *
 * The output depends only on the input bytes and the level (never on how the input was chunked or on
 * timing), so the same layer always gets the same digest.
 */

const SEGMENT = 1 << 20;
const WINDOW = 32 * 1024;
/** Largest stored block (deflate's LEN field is 16 bits). */
const STORED_MAX = 0xffff;
/** Above this deflated/raw ratio the first segment says "store the layer". */
const STORE_RATIO = 0.97;

const deflateRaw = promisify(zlib.deflateRaw) as (buf: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>;

/** gzip header: magic, deflate, no flags, mtime 0 (reproducible), no extra flags, OS unknown (as Go writes). */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff]);
/** An empty final stored block: ends the deflate stream after the sync-flushed segments. */
const FINAL_BLOCK = Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff]);

/** Deflate stored blocks (not final) holding `data`, as a list of buffers (the data itself is not copied). */
function storedBlocks(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += STORED_MAX) {
    const len = Math.min(STORED_MAX, data.length - at);
    const head = Buffer.allocUnsafe(5);
    head[0] = 0x00; // BFINAL=0, BTYPE=00 (stored); the byte boundary follows a sync flush or another stored block.
    head.writeUInt16LE(len, 1);
    head.writeUInt16LE(~len & 0xffff, 3);
    out.push(head, data.subarray(at, at + len));
  }
  return out;
}

interface ParallelGzipOptions {
  /** zlib level 1-9 for segments that compress; 0 stores everything. */
  level: number;
  /** Segments deflating at once (default: libuv's pool size, 4). */
  inFlight?: number;
}

export class ParallelGzip extends Transform {
  private readonly level: number;
  private readonly inFlight: number;
  /** Input not yet cut into a whole segment. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Segments on their way, in input order. */
  private readonly queue: Promise<Buffer[]>[] = [];
  /** Decided by the first segment: deflate, or store the whole layer. */
  private mode: "deflate" | "store" | undefined;
  private previousTail: Buffer | undefined;
  private crc = 0;
  private size = 0;

  constructor(options: ParallelGzipOptions) {
    super({ readableHighWaterMark: 4 * SEGMENT, writableHighWaterMark: SEGMENT });
    this.level = options.level;
    this.inFlight = Math.max(1, options.inFlight ?? Number(process.env.UV_THREADPOOL_SIZE ?? 4));
    if (this.level <= 0) this.mode = "store";
    this.push(HEADER);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < SEGMENT) {
      done();
      return;
    }
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    let at = 0;
    const segments: Buffer[] = [];
    for (; all.length - at >= SEGMENT; at += SEGMENT) segments.push(all.subarray(at, at + SEGMENT));
    const rest = all.subarray(at);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    this.submit(segments).then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    const last = this.pendingBytes ? [Buffer.concat(this.pending, this.pendingBytes)] : [];
    this.pending = [];
    this.submit(last)
      .then(() => this.drainAll())
      .then(() => {
        const trailer = Buffer.allocUnsafe(8);
        trailer.writeUInt32LE(this.crc >>> 0, 0);
        trailer.writeUInt32LE(this.size % 2 ** 32, 4);
        this.push(FINAL_BLOCK);
        this.push(trailer);
        done();
      }, done);
  }

  /** Starts each segment, waiting for the oldest ones to come out whenever the pool is full. */
  private async submit(segments: Buffer[]): Promise<void> {
    for (const segment of segments) {
      this.crc = zlib.crc32(segment, this.crc);
      this.size += segment.length;
      const encoded = this.mode === undefined ? this.encodeFirst(segment) : this.encode(segment);
      this.queue.push(encoded);
      // The mode must be settled before the next segment starts, or timing would change the output.
      if (this.mode === undefined) await encoded;
      this.previousTail = segment.length >= WINDOW ? segment.subarray(segment.length - WINDOW) : segment;
      while (this.queue.length >= this.inFlight) await this.emitOldest();
    }
  }

  private async drainAll(): Promise<void> {
    while (this.queue.length) await this.emitOldest();
  }

  private async emitOldest(): Promise<void> {
    const parts = await this.queue.shift()!;
    for (const part of parts) this.push(part);
  }

  /** The first segment is also the sample that chooses the layer's mode. */
  private encodeFirst(segment: Buffer): Promise<Buffer[]> {
    return this.deflate(segment, undefined).then((deflated) => {
      this.mode = deflated.length / Math.max(1, segment.length) > STORE_RATIO ? "store" : "deflate";
      return deflated.length < segment.length ? [deflated] : storedBlocks(segment);
    });
  }

  private encode(segment: Buffer): Promise<Buffer[]> {
    if (this.mode === "store" || !segment.length) return Promise.resolve(storedBlocks(segment));
    return this.deflate(segment, this.previousTail).then((deflated) =>
      // Deflate that did not shrink this segment: stored blocks say the same in fewer bytes and read faster.
      deflated.length < segment.length ? [deflated] : storedBlocks(segment),
    );
  }

  private deflate(segment: Buffer, dictionary: Buffer | undefined): Promise<Buffer> {
    // One output buffer that fits the whole segment: zlib's default 16 KiB would cost a thread-pool round
    // trip per 16 KiB of output.
    const options: zlib.ZlibOptions = {
      level: this.level,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      chunkSize: SEGMENT + WINDOW,
    };
    if (dictionary) options.dictionary = dictionary;
    return deflateRaw(segment, options);
  }
}
