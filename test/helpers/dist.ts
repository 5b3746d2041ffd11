/**
 * Tests that run the compiled CLI (`bin/cog.js`) or bundle the runtime into an image need dist/ to match the
 * sources. `npm test` builds first; this keeps a single test file run directly with vitest honest too.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./test-env.js";

const run = promisify(execFile);

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts"))
      newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Compiles src/ and runtime/ into dist/ when any source is newer than the compiled CLI. */
export async function ensureDistBuilt(): Promise<void> {
  const marker = path.join(REPO_ROOT, "dist", "src", "cli", "main.js");
  const built = existsSync(marker) ? statSync(marker).mtimeMs : 0;
  const sources = Math.max(
    newestSourceMtime(path.join(REPO_ROOT, "src")),
    newestSourceMtime(path.join(REPO_ROOT, "runtime")),
  );
  if (built >= sources) return;
  // tsc emits even with a type error elsewhere; the tests themselves show what works.
  await run(
    process.execPath,
    [path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
    { cwd: REPO_ROOT },
  ).catch(() => undefined);
}
