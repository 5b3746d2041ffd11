/**
 * Reading layers from the engine's storage (src/docker/layer-store.ts) against the real test engine: the tars
 * must be byte for byte those of `docker save` (deletions, hard links, symlinks, odd names, big and empty
 * files), a push from storage must give the digest of a push from image save, and storage that does not match
 * must make the push fall back to image save with the same result.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalLayerStore, chainIds, openLocalLayerStore } from "../../src/docker/layer-store.js";
import { pushImage } from "../../src/docker/push.js";
import { docker, startFaultProxy, tempDir, testEnv, uniqueName } from "./support.js";
import type { TestEnv } from "./support.js";

const run = promisify(execFile);

async function sha256Of(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  return `sha256:${hash.digest("hex")}`;
}

/** An image whose layers hold what tar layers can: deletions (whiteouts, opaque dirs), links, odd names, sizes. */
async function buildTrickyImage(name: string): Promise<string> {
  const dir = await tempDir("tricky");
  try {
    await writeFile(join(dir, "big.bin"), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
    await writeFile(join(dir, "exact.bin"), Buffer.alloc(1024 * 1024, 1));
    await writeFile(
      join(dir, "Dockerfile"),
      [
        "FROM debian:bookworm-slim",
        "COPY big.bin exact.bin /data/",
        "RUN mkdir -p /data/dir/sub && echo one > /data/dir/sub/a && echo two > /data/dir/b && touch /data/empty \\",
        "    && ln /data/dir/b /data/hardlink && ln -s dir/b /data/symlink \\",
        "    && printf 'latin-1 name' > \"/data/caf$(printf '\\351')\" && echo 'spaces' > '/data/a name with spaces'",
        // Deletions in a later layer: a whiteout for a file, an opaque directory for a replaced one.
        "RUN rm /data/exact.bin /etc/issue && rm -rf /data/dir && mkdir /data/dir && echo new > /data/dir/c",
        'CMD ["cat", "/data/dir/c"]',
      ].join("\n") + "\n",
    );
    await docker("build", "-q", "-t", name, dir);
    return name;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("reading layers from the engine's storage", () => {
  let env: TestEnv;
  let image: string;
  let info: { Id: string; RootFS: { Layers: string[] } };
  let store: LocalLayerStore;
  const dirs: string[] = [];

  beforeAll(async () => {
    env = await testEnv();
    image = await buildTrickyImage(uniqueName("cogts-layer-store"));
    info = (await new Docker().getImage(image).inspect()) as unknown as typeof info;
    const opened = await openLocalLayerStore(new Docker());
    if (!opened) throw new Error("the test engine's storage should be readable here (root, overlay2)");
    store = opened;
  });
  afterAll(async () => {
    await docker("rmi", "-f", image).catch(() => undefined);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("rebuilds every layer tar byte for byte (each hashes to its DiffID, as docker save's do)", async () => {
    const diffIds = info.RootFS.Layers;
    expect(diffIds.length).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < diffIds.length; i++) {
      expect(await sha256Of(await store.openLayer(diffIds, i))).toBe(diffIds[i]);
    }
    const config = await store.config(info.Id);
    expect(config && `sha256:${createHash("sha256").update(config).digest("hex")}`).toBe(info.Id);
    expect(await store.config(`sha256:${"0".repeat(64)}`)).toBeUndefined();
  });

  it("refuses a layer stack the engine does not have", async () => {
    const bogus = [...info.RootFS.Layers.slice(0, -1), `sha256:${"1".repeat(64)}`];
    await expect(store.openLayer(bogus, bogus.length - 1)).rejects.toThrow();
    expect(chainIds(["sha256:a"])).toEqual(["sha256:a"]);
  });

  it("pushes the same image (same digest) as from image save, and the pushed image runs", async () => {
    const viaStorage = await pushImage(`${env.registry}/${uniqueName("from-storage")}:v1`, image, {
      cacheDir: await temp(),
    });
    const viaSave = await pushImage(`${env.registry}/${uniqueName("from-save")}:v1`, image, {
      cacheDir: await temp(),
      storage: null,
    });
    expect(viaStorage.layersFrom).toBe("storage");
    expect(viaSave.layersFrom).toBe("save");
    expect(viaStorage.digest).toBe(viaSave.digest);
    const ref = viaStorage.reference.replace(/@.*/, ":v1");
    await docker("pull", "-q", ref);
    try {
      expect(await docker("run", "--rm", ref)).toBe("new");
    } finally {
      await docker("rmi", "-f", ref).catch(() => undefined);
    }
  });

  it("falls back to image save, with the same digest, when the storage does not match the image", async () => {
    const clean = await pushImage(`${env.registry}/${uniqueName("clean")}:v1`, image, {
      cacheDir: await temp(),
      storage: null,
    });
    for (const damage of ["changed", "truncated"] as const) {
      const fake = await copyOfStorage(store, info.Id, info.RootFS.Layers);
      const top = await diffDirOf(store, info.RootFS.Layers, info.RootFS.Layers.length - 1, fake);
      if (damage === "changed")
        await writeFile(join(top, "data", "dir", "c"), "old\n"); // same size, other bytes
      else await writeFile(join(top, "data", "dir", "c"), "");
      const notes: string[] = [];
      const result = await pushImage(`${env.registry}/${uniqueName(`fallback-${damage}`)}:v1`, image, {
        cacheDir: await temp(),
        storage: new LocalLayerStore(fake, store.driver),
        progress: { start() {}, update() {}, finish() {}, close() {}, note: (text) => notes.push(text) },
      });
      expect(result.layersFrom).toBe("save");
      expect(result.digest).toBe(clean.digest);
      expect(notes.join("\n")).toMatch(
        damage === "changed" ? /hashes to .* not its DiffID/ : /shorter than its tar entry/,
      );
    }
  });

  it("falls back and finishes when upload sessions open slowly and a layer fails meanwhile", async () => {
    const clean = await pushImage(`${env.registry}/${uniqueName("clean")}:v1`, image, {
      cacheDir: await temp(),
      storage: null,
    });
    const proxy = await startFaultProxy(env.registry);
    try {
      // Every upload session opens late, so the damaged top layer is refused while its POST is still out. (A PATCH
      // sent with a body that died just before used to wait forever, and client.close() with it; this timing does
      // not hit that instant every time, the abort signal in openStreamedUpload is what rules it out.)
      proxy.faults.push({
        match: (req) => req.method === "POST" && /\/blobs\/uploads\/$/.test(req.url ?? ""),
        action: { delayMs: 300 },
        times: 100,
      });
      const fake = await copyOfStorage(store, info.Id, info.RootFS.Layers);
      await writeFile(
        join(await diffDirOf(store, info.RootFS.Layers, info.RootFS.Layers.length - 1, fake), "data", "dir", "c"),
        "old\n",
      );
      const result = await pushImage(`${proxy.host}/${uniqueName("late-session")}:v1`, image, {
        cacheDir: await temp(),
        storage: new LocalLayerStore(fake, store.driver),
      });
      expect(result.layersFrom).toBe("save");
      expect(result.digest).toBe(clean.digest);
      // No upload was left hanging until a timeout cut it: every PATCH sent was answered 202.
      const patches = proxy.requests.filter((r) => r.method === "PATCH");
      expect(patches.length).toBeGreaterThan(0);
      expect(patches.map((r) => r.status)).toEqual(patches.map(() => 202));
    } finally {
      await proxy.close();
    }
  });

  it("is not used for a remote engine or when turned off", async () => {
    expect(await openLocalLayerStore(new Docker({ host: "127.0.0.1", port: 9 }))).toBeUndefined();
    process.env.COGTS_PUSH_FROM_STORAGE = "0";
    try {
      expect(await openLocalLayerStore(new Docker())).toBeUndefined();
    } finally {
      delete process.env.COGTS_PUSH_FROM_STORAGE;
    }
  });

  async function temp(): Promise<string> {
    const dir = await tempDir("layer-store");
    dirs.push(dir);
    return dir;
  }

  /** A private copy of the engine's records for one image (config, layer records, layer directories). */
  async function copyOfStorage(real: LocalLayerStore, imageId: string, diffIds: string[]): Promise<string> {
    const root = await temp();
    const images = join("image", real.driver, "imagedb", "content", "sha256");
    await mkdir(join(root, images), { recursive: true });
    await cp(join(real.root, images, imageId.slice(7)), join(root, images, imageId.slice(7)));
    for (const [index, chainId] of chainIds(diffIds).entries()) {
      const record = join("image", real.driver, "layerdb", "sha256", chainId.slice(7));
      await cp(join(real.root, record), join(root, record), { recursive: true });
      const to = await diffDirOf(real, diffIds, index, root);
      await mkdir(join(to, ".."), { recursive: true });
      // cp -a keeps what Node's cp does not: the whiteout device nodes and opaque-directory xattrs.
      await run("cp", ["-a", await diffDirOf(real, diffIds, index), to]);
    }
    return root;
  }

  /** The directory of a layer's files (overlay2, the test engine's driver). */
  async function diffDirOf(real: LocalLayerStore, diffIds: string[], index: number, root = real.root): Promise<string> {
    const chainId = chainIds(diffIds)[index]!;
    const cacheId = (
      await readFile(join(real.root, "image", real.driver, "layerdb", "sha256", chainId.slice(7), "cache-id"), "utf8")
    ).trim();
    return join(root, "overlay2", cacheId, "diff");
  }
});
