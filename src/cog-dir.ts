/**
 * Writes a cache file into `<project>/.cog/`, never through a symbolic link: a cloned repository can ship `.cog` as a
 * link to anywhere, and a cache is not worth following it. Caches are optional, so a `.cog` (or a cache file) that is
 * a link, or a project that is read-only, just goes uncached; `cog build` refuses such a `.cog` outright
 * (src/model/stage.ts).
 */
import { lstatSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

export function writeCogCache(dir: string, name: string, text: string): void {
  const cogDir = path.join(dir, ".cog");
  try {
    mkdirSync(cogDir, { recursive: true });
    const target = path.join(cogDir, name);
    if (!lstatSync(cogDir).isDirectory() || lstatSync(target, { throwIfNoEntry: false })?.isSymbolicLink()) return;
    const temporary = `${target}.${process.pid}.tmp`;
    writeFileSync(temporary, text, { flag: "wx" });
    renameSync(temporary, target);
  } catch {
    // A read-only project still gets its result, just without the cache.
  }
}
