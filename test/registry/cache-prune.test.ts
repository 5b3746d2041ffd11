import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pushImage } from "../../src/docker/push.js";
import { buildTestImage, docker, startFaultProxy, tempDir, testEnv, uniqueName } from "./support.js";

const fast = { attempts: 5, baseDelayMs: 50 };

describe("the push cache's byte budget", () => {
  const cleanup: string[] = [];
  afterAll(async () => {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
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
        if (!pushedB.blobs.some((x) => x.digest === blob.digest))
          expect(files).not.toContain(`${blob.digest.slice(7)}.gz`);
      }
      const before = proxy.uploadBytes;
      const again = await pushImage(`${repo}:a`, a, { cacheDir, retry: fast, ...budget });
      expect(again.digest).toBe(first.digest);
      // Its files are gone, but the registry has every blob: no export, no upload.
      expect(again.exported).toBe(false);
      expect(proxy.uploadBytes - before).toBe(0);
      // To a repository of another registry path that lacks the blobs, the pruned layers are exported again.
      const elsewhere = await pushImage(`${env.registry}/${uniqueName("budget-elsewhere")}:a`, a, {
        cacheDir,
        retry: fast,
        ...budget,
      });
      expect(elsewhere.digest).toBe(first.digest);
      expect(elsewhere.exported).toBe(true);
    } finally {
      await proxy.close();
      await docker("rmi", "-f", a, b).catch(() => undefined);
    }
  }, 120_000);
});
