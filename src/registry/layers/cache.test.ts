import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pruneLayerCache } from "./cache.js";

const hex = (n: number) => n.toString(16).padStart(64, "0");

describe("the push cache's byte budget", () => {
  const cleanup: string[] = [];
  afterAll(async () => {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  it("deletes the least recently used layer files first, never those in use, down to the budget", async () => {
    const root = await mkdtemp(join(tmpdir(), "cogts-prune-"));
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
});
