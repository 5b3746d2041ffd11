import { rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pushImage } from "../../src/docker/push.js";
import type { PushOptions } from "../../src/registry/push.js";
import { buildTestImage, docker, startFaultProxy, tempDir, testEnv, uniqueName } from "./support.js";
import type { FaultProxy, TestEnv } from "./support.js";

const MB = 1024 * 1024;
const isPatch = (req: IncomingMessage) => req.method === "PATCH";

describe("pushImage through a proxy that injects faults", () => {
  let env: TestEnv;
  let image: string;
  let codeChanged: string;
  let proxy: FaultProxy;
  let cacheDir: string;
  let expectedDigest: string;
  // Chunked above 2 MiB in 1 MiB chunks, so the 6 MiB weights layer goes up in several PATCHes; streaming
  // while compressing is off here so the faults hit the resumable upload paths (oci-layout.test.ts tests it).
  const options = (): PushOptions => ({
    cacheDir,
    retry: { attempts: 4, baseDelayMs: 20 },
    chunkedThreshold: 2 * MB,
    chunkSize: 1 * MB,
    streamUploads: false,
  });

  beforeAll(async () => {
    env = await testEnv();
    image = await buildTestImage(uniqueName("cogts-faults"), { bigMb: 6, code: "v1", seed: "faults-weights" });
    codeChanged = await buildTestImage(uniqueName("cogts-faults-v2"), { bigMb: 6, code: "v2", seed: "faults-weights" });
    const clean = await tempDir("cache");
    expectedDigest = (await pushImage(`${env.registry}/${uniqueName("reference")}:v1`, image, { cacheDir: clean }))
      .digest;
    await rm(clean, { recursive: true, force: true });
  });
  afterAll(async () => {
    await docker("rmi", "-f", image, codeChanged).catch(() => undefined);
  });
  beforeEach(async () => {
    proxy = await startFaultProxy(env.registry);
    // A fresh cache per test: no mount record, so every blob really goes through the proxy.
    cacheDir = await tempDir("cache");
  });
  afterEach(async () => {
    await proxy.close();
    await rm(cacheDir, { recursive: true, force: true });
  });
  const target = () => `${proxy.host}/${uniqueName("faults")}:v1`;

  it("survives a connection reset in the middle of a chunk", async () => {
    proxy.faults.push({ match: isPatch, action: { reset: { afterBytes: 512 * 1024 } } });
    const result = await pushImage(target(), image, options());
    expect(result.digest).toBe(expectedDigest);
    // It asked the registry where the upload stood before going on.
    expect(proxy.requests.some((r) => r.method === "GET" && r.url.includes("/blobs/uploads/"))).toBe(true);
  });

  it("survives a 503 on one chunk", async () => {
    let patches = 0;
    proxy.faults.push({ match: (req) => isPatch(req) && ++patches === 2, action: { status: 503 } });
    const result = await pushImage(target(), image, options());
    expect(result.digest).toBe(expectedDigest);
    expect(proxy.requests.filter((r) => r.status === 503)).toHaveLength(1);
    // Resumed from the registry's Range in the same session: one POST per blob, no fresh session.
    expect(
      proxy.requests.some((r) => r.method === "GET" && r.url.includes("/blobs/uploads/") && r.status === 204),
    ).toBe(true);
    const posts = proxy.requests.filter((r) => r.method === "POST").length;
    expect(posts).toBe(result.blobs.filter((b) => b.outcome === "uploaded").length);
  });

  it("waits out a 429 with Retry-After", async () => {
    proxy.faults.push({
      match: (req) => req.method === "HEAD",
      action: { status: 429, headers: { "retry-after": "1" } },
    });
    const result = await pushImage(target(), image, options());
    expect(result.digest).toBe(expectedDigest);
    expect(proxy.requests.filter((r) => r.status === 429)).toHaveLength(1);
  });

  it("falls back to a monolithic upload when the registry refuses PATCH", async () => {
    proxy.faults.push({ match: isPatch, action: { status: 405 }, times: 1000 });
    const result = await pushImage(target(), image, options());
    expect(result.digest).toBe(expectedDigest);
    expect(proxy.requests.some((r) => r.method === "PATCH" && r.status === 405)).toBe(true);
  });

  it("retries a monolithic upload whose connection dies halfway with a new session", async () => {
    proxy.faults.push({
      match: (req) =>
        req.method === "PUT" && /digest=/.test(req.url ?? "") && Number(req.headers["content-length"]) > MB,
      action: { reset: { afterBytes: 2 * MB } },
    });
    const result = await pushImage(target(), image, { ...options(), chunkedThreshold: 64 * MB });
    expect(result.digest).toBe(expectedDigest);
  });

  it("names the registry when it cannot be reached at all", async () => {
    const closed = await startFaultProxy(env.registry);
    const host = closed.host;
    await closed.close();
    await expect(pushImage(`${host}/${uniqueName("down")}:v1`, image, options())).rejects.toThrow(
      `the registry ${host} could not be reached (ECONNREFUSED)`,
    );
  });

  it("resumes an interrupted push by uploading only what is missing", async () => {
    const ref = target();
    // Every upload of the big layer dies: the first push fails after the small blobs are in.
    const bigUpload = (req: IncomingMessage) =>
      (req.method === "PATCH" || req.method === "PUT") && Number(req.headers["content-length"]) >= MB;
    proxy.faults.push({ match: bigUpload, action: { reset: { afterBytes: 256 * 1024 } }, times: 1000 });
    await expect(pushImage(ref, image, { ...options(), retry: { attempts: 2, baseDelayMs: 10 } })).rejects.toThrow();
    proxy.faults.length = 0;
    const before = proxy.uploadBytes;
    const result = await pushImage(ref, image, options());
    expect(result.digest).toBe(expectedDigest);
    // Only the blobs the first push did not finish go up again, each exactly once.
    const uploaded = result.blobs.filter((b) => b.outcome === "uploaded");
    expect(uploaded.length).toBeGreaterThanOrEqual(1);
    expect(result.blobs.filter((b) => b.outcome === "exists").length).toBeGreaterThanOrEqual(2);
    expect(proxy.uploadBytes - before).toBe(uploaded.reduce((sum, b) => sum + b.size, 0));
  });

  it("after a code-only change uploads only the changed layer", async () => {
    const ref = target();
    await pushImage(ref, image, options());
    const before = proxy.uploadBytes;
    const result = await pushImage(ref, codeChanged, options());
    expect(result.digest).not.toBe(expectedDigest);
    // The code layer and the config: a few KB, none of the 6 MiB weights.
    expect(proxy.uploadBytes - before).toBeLessThan(64 * 1024);
    expect(result.blobs.filter((b) => b.outcome === "uploaded")).toHaveLength(2);
  });
});
