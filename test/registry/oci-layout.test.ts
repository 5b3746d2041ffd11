/**
 * Newer engines (Docker 25+) export images in the OCI layout (blobs/sha256/<digest>, index.json, plus a
 * manifest.json). The test engine (dockerd 20.10) writes the legacy layout, so this test converts a real
 * export into the OCI layout and serves it through a stand-in engine object.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import type { Readable } from "node:stream";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushImage } from "../../src/docker/push.js";
import { buildTestImage, docker, startFaultProxy, tempDir, testEnv, uniqueName } from "./support.js";
import type { TestEnv } from "./support.js";

const run = promisify(execFile);
const MB = 1024 * 1024;

/** Reads a whole tar (test-sized) into name → bytes. */
async function readTar(stream: Readable): Promise<Map<string, Buffer>> {
  const { extract } = await import("tar-stream");
  const files = new Map<string, Buffer>();
  const ex = extract();
  ex.on("entry", (header, entry, next) => {
    const chunks: Buffer[] = [];
    entry.on("data", (c) => chunks.push(c as Buffer));
    entry.on("end", () => {
      if (header.type === "file") files.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ex.on("finish", resolve);
    ex.on("error", reject);
    stream.pipe(ex);
  });
  return files;
}

/** The same image as Docker 25+ would save it. */
async function toOciLayout(legacy: Map<string, Buffer>): Promise<Buffer> {
  const { pack } = await import("tar-stream");
  const [entry] = JSON.parse(legacy.get("manifest.json")!.toString()) as {
    Config: string;
    RepoTags: string[];
    Layers: string[];
  }[];
  const blobs = new Map<string, Buffer>();
  const add = (data: Buffer) => {
    const hex = createHash("sha256").update(data).digest("hex");
    blobs.set(hex, data);
    return hex;
  };
  const configHex = add(legacy.get(entry!.Config)!);
  const layerHexes = entry!.Layers.map((l) => add(legacy.get(l)!));
  const tar = pack();
  tar.entry({ name: "oci-layout" }, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  for (const [hex, data] of blobs) tar.entry({ name: `blobs/sha256/${hex}` }, data);
  tar.entry({ name: "index.json" }, JSON.stringify({ schemaVersion: 2, manifests: [] }));
  tar.entry(
    { name: "manifest.json" },
    JSON.stringify([
      {
        Config: `blobs/sha256/${configHex}`,
        RepoTags: entry!.RepoTags,
        Layers: layerHexes.map((h) => `blobs/sha256/${h}`),
      },
    ]),
  );
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const c of tar as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

describe("pushing from an engine that exports the OCI layout", () => {
  let env: TestEnv;
  let image: string;
  let ociTar: Buffer;
  let engine: Docker;
  const caches: string[] = [];
  const cache = async () => {
    const dir = await tempDir("cache");
    caches.push(dir);
    return dir;
  };

  beforeAll(async () => {
    env = await testEnv();
    image = await buildTestImage(uniqueName("cogts-oci-layout"), {
      bigMb: 6,
      code: "oci layout",
      seed: "oci-layout-weights",
    });
    const { stdout } = await run("docker", ["image", "inspect", image], { maxBuffer: 1 << 24 });
    const info = (JSON.parse(stdout) as { Id: string; RootFS: { Layers: string[] } }[])[0]!;
    const save = execFile("docker", ["save", image], { encoding: "buffer", maxBuffer: 1 << 30 });
    ociTar = await toOciLayout(await readTar(save.stdout as unknown as Readable));
    engine = {
      getImage: () => ({
        inspect: async () => info,
        get: async () => {
          const p = new PassThrough();
          p.end(ociTar);
          return p;
        },
      }),
      listImages: async () => [],
    } as unknown as Docker;
  });
  afterAll(async () => {
    await docker("rmi", "-f", image).catch(() => undefined);
    for (const dir of caches) await rm(dir, { recursive: true, force: true });
  });

  it("gives the same digest as the legacy layout, streaming new layers while compressing", async () => {
    const proxy = await startFaultProxy(env.registry);
    try {
      const legacy = await pushImage(`${proxy.host}/${uniqueName("legacy")}:v1`, image, { cacheDir: await cache() });
      proxy.requests.length = 0;
      const oci = await pushImage(`${proxy.host}/${uniqueName("oci")}:v1`, image, {
        cacheDir: await cache(),
        docker: engine,
      });
      expect(oci.digest).toBe(legacy.digest);
      expect(proxy.requests.some((r) => r.method === "PATCH" && !r.contentRange && r.status === 202)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it("falls back to uploading from the cache when the streamed upload dies", async () => {
    const proxy = await startFaultProxy(env.registry);
    try {
      const streamedPatch = (req: IncomingMessage) => req.method === "PATCH" && !req.headers["content-range"];
      proxy.faults.push({ match: streamedPatch, action: { reset: { afterBytes: MB } }, times: 100 });
      const result = await pushImage(`${proxy.host}/${uniqueName("oci-fault")}:v1`, image, {
        cacheDir: await cache(),
        docker: engine,
        retry: { attempts: 4, baseDelayMs: 20 },
      });
      const clean = await pushImage(`${env.registry}/${uniqueName("oci-clean")}:v1`, image, {
        cacheDir: await cache(),
        docker: engine,
      });
      expect(result.digest).toBe(clean.digest);
      expect(proxy.requests.some((r) => r.method === "PATCH" && !r.contentRange)).toBe(true);
      expect(proxy.requests.some((r) => r.method === "PUT" && /digest=/.test(r.url) && r.status === 201)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it("re-exports nothing and compresses nothing for layers it has cached by DiffID", async () => {
    const dir = await cache();
    await pushImage(`${env.registry}/${uniqueName("oci-a")}:v1`, image, { cacheDir: dir, docker: engine });
    // A new image id (as after a label change) with the same layers: the export is read, no layer is compressed.
    const renamed = {
      ...engine,
      getImage: (name: string) => {
        const i = engine.getImage(name);
        return {
          get: i.get.bind(i),
          inspect: async () => ({ ...(await i.inspect()), Id: `sha256:${"0".repeat(64)}` }),
        };
      },
    } as unknown as Docker;
    const layerFiles = async () => (await readdir(join(dir, "push", "layers-gzip"))).sort();
    const before = await layerFiles();
    const result = await pushImage(`${env.registry}/${uniqueName("oci-b")}:v1`, image, {
      cacheDir: dir,
      docker: renamed,
    });
    expect(result.exported).toBe(true);
    // Nothing new was compressed into the cache, and nothing was uploaded (mounted from the first repository).
    expect(await layerFiles()).toEqual(before);
    expect(result.blobs.filter((b) => b.outcome === "uploaded")).toEqual([]);
  });
});
