import { mkdir, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pruneLayerCache } from "../../src/registry/layers/index.js";
import { pushImage } from "../../src/docker/push.js";
import { buildTestImage, docker, startFaultProxy, tempDir, testEnv, uniqueName } from "./support.js";

const fast = { attempts: 5, baseDelayMs: 50 };
const hex = (n: number) => n.toString(16).padStart(64, "0");

describe("the push cache's byte budget", () => {
  const cleanup: string[] = [];
  afterAll(async () => {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  it("deletes the least recently used layer files first, never those in use, down to the budget", async () => {
    const root = await tempDir("prune");
    cleanup.push(root);
    const dir = join(root, "push", "layers-gzip");
    await mkdir(dir, { recursive: true });
    const paths: string[] = [];
    for (let i = 0; i < 4; i++) {
      const path = join(dir, `${hex(i + 1)}.gz`);
      await writeFile(path, Buffer.alloc(1000));
      // File 0 is the oldest use, file 3 the newest.
      const when = new Date(Date.now() - (4 - i) * 60_000);
      await utimes(path, when, when);
      paths.push(path);
    }
    await writeFile(join(dir, `${hex(1)}.json`), "{}"); // metadata is never pruned
    const freed = await pruneLayerCache(2000, new Set([paths[0]!]), root);
    expect(freed).toBe(2000);
    // The oldest is in use, so the next two oldest went.
    expect((await readdir(dir)).sort()).toEqual([`${hex(1)}.gz`, `${hex(1)}.json`, `${hex(4)}.gz`].sort());
  });

  it("after a push beyond the budget, only that push's layers stay; an evicted image the registry has re-pushes from the records alone", async () => {
    const env = await testEnv();
    const cacheDir = await tempDir("budget");
    cleanup.push(cacheDir);
    const a = await buildTestImage(uniqueName("cogts-budget-a"), { bigMb: 2, code: "a", seed: "a" });
    const b = await buildTestImage(uniqueName("cogts-budget-b"), { bigMb: 2, code: "b", seed: "b" });
    const proxy = await startFaultProxy(env.registry);
    // COGTS_PUSH_CACHE_MAX_BYTES=1, as the CLI passes it (src/registry/settings.ts).
    const budget = { cacheBudget: 1 };
    try {
      const repo = `${proxy.host}/${uniqueName("budget")}`;
      const first = await pushImage(`${repo}:a`, a, { cacheDir, retry: fast, ...budget });
      const pushedB = await pushImage(`${repo}:b`, b, { cacheDir, retry: fast, ...budget });
      const files = (await readdir(join(cacheDir, "push", "layers-gzip"))).filter((n) => n.endsWith(".gz"));
      // Only image b's layers are left (the base layer both share was in use, so it stays too).
      const ofB = new Set(pushedB.blobs.map((x) => `${x.digest.slice(7)}.gz`));
      expect(files.length).toBeGreaterThanOrEqual(2);
      expect(files.every((f) => ofB.has(f))).toBe(true);
      for (const blob of first.blobs) {
        if (!pushedB.blobs.some((x) => x.digest === blob.digest)) expect(files).not.toContain(`${blob.digest.slice(7)}.gz`);
      }
      const before = proxy.uploadBytes;
      const again = await pushImage(`${repo}:a`, a, { cacheDir, retry: fast, ...budget });
      expect(again.digest).toBe(first.digest);
      // Its files are gone, but the registry has every blob: no export, no upload.
      expect(again.exported).toBe(false);
      expect(proxy.uploadBytes - before).toBe(0);
      // To a repository of another registry path that lacks the blobs, the pruned layers are exported again.
      const elsewhere = await pushImage(`${env.registry}/${uniqueName("budget-elsewhere")}:a`, a, { cacheDir, retry: fast, ...budget });
      expect(elsewhere.digest).toBe(first.digest);
      expect(elsewhere.exported).toBe(true);
    } finally {
      await proxy.close();
      await docker("rmi", "-f", a, b).catch(() => undefined);
    }
  }, 120_000);
});
