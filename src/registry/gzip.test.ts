import { createHash, randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { execFileSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ParallelGzip } from "./gzip.js";

/** Compresses `data` fed in pieces of the given sizes (cycled), returning the gzip bytes. */
async function gzip(data: Buffer, pieces: number[], level = 1): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = pieces[i % pieces.length]!;
    parts.push(data.subarray(at, at + size));
    at += size;
  }
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(parts),
    new ParallelGzip({ level }),
    new Writable({
      write(chunk: Buffer, _e, done) {
        out.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(out);
}

/** Text-like data that deflate shrinks: a layer of code and libraries rather than weights. */
function compressible(bytes: number): Buffer {
  const words = ["predict", "setup", "input", "output", "tensor", "module", "export", "const", "return", "await"];
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `${words[i % 10]} ${words[(i * 7) % 10]}_${i % 997} = ${(i * 2654435761) % 100000};\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join("")).subarray(0, bytes);
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("ParallelGzip", () => {
  it("round-trips compressible data over many segments, smaller than the input", async () => {
    const data = compressible(5 * (1 << 20) + 12345);
    const out = await gzip(data, [70_000]);
    expect(gunzipSync(out).equals(data)).toBe(true);
    expect(out.length).toBeLessThan(data.length / 3);
  });

  it("gives the same bytes whatever the input chunking (the digest must not depend on it)", async () => {
    const data = Buffer.concat([compressible(3 << 20), randomBytes(2 << 20), compressible(1 << 20)]);
    const a = await gzip(data, [1 << 20]);
    const b = await gzip(data, [1, 4096, 333_333, 2_000_001]);
    const c = await gzip(data, [65_536]);
    expect(sha(a)).toBe(sha(b));
    expect(sha(a)).toBe(sha(c));
    expect(gunzipSync(a).equals(data)).toBe(true);
  });

  it("stores incompressible layers (weights) in stored blocks: barely larger than the input", async () => {
    const data = randomBytes(3 * (1 << 20) + 7);
    const out = await gzip(data, [100_000]);
    expect(gunzipSync(out).equals(data)).toBe(true);
    // 5 bytes per 64 KiB block plus header and trailer.
    expect(out.length).toBeLessThan(data.length * 1.0002 + 64);
  });

  it("writes valid gzip for an empty and for a tiny input, and honours level 0", async () => {
    expect(gunzipSync(await gzip(Buffer.alloc(0), [1]))).toHaveLength(0);
    const tiny = Buffer.from("hello\n");
    expect(gunzipSync(await gzip(tiny, [2])).equals(tiny)).toBe(true);
    const text = compressible(2 << 20);
    const stored = await gzip(text, [1 << 16], 0);
    expect(gunzipSync(stored).equals(text)).toBe(true);
    expect(stored.length).toBeGreaterThan(text.length);
  });

  it("is read by the gzip tool as one member with the right CRC and size", async () => {
    const data = Buffer.concat([compressible(2 << 20), randomBytes(1 << 20)]);
    const out = await gzip(data, [50_000]);
    const listed = execFileSync("gzip", ["-lv"], { input: out }).toString();
    expect(listed).toContain(String(data.length));
    expect(execFileSync("gzip", ["-dc"], { input: out, maxBuffer: 1 << 26 }).equals(data)).toBe(true);
  });
});
