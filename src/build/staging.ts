/**
 * `cog build` stages its build kit in `<project>/.cog/build/`, emptying and rewriting what is there. A `.cog` or a
 * `.cog/build` (or an entry cogts rewrites in them) that is a symbolic link would take those deletions and writes
 * outside the project, wherever the link points (a cloned repository can ship such a link): refuse it, clearly.
 */
import { lstat, readlink } from "node:fs/promises";
import path from "node:path";
import { UserError } from "../errors.js";

/** What cogts creates, rewrites or deletes under the project's `.cog/`, parents first. */
const STAGED = [
  ".cog", ".cog/build", ".cog/build/js", ".cog/build/cogts", ".cog/build/tsc", ".cog/build/Dockerfile",
  ".cog/build/openapi_schema.json", ".cog/build/ca-certificates.crt", ".cog/openapi_schema.json", ".cog/schema-cache.json",
];
const DIRECTORIES = new Set([".cog", ".cog/build"]);

export async function checkStagingArea(dir: string): Promise<void> {
  for (const relative of STAGED) {
    const full = path.join(dir, relative);
    const st = await lstat(full).catch(() => undefined);
    if (!st) continue;
    if (st.isSymbolicLink()) {
      const target = await readlink(full).catch(() => "?");
      throw new UserError(`${relative} in ${dir} is a symbolic link (to ${target}): cog build deletes and writes files there and will not follow a link out of the project. Remove the link (rm ${relative}) and build again.`);
    }
    if (DIRECTORIES.has(relative) && !st.isDirectory()) {
      throw new UserError(`${relative} in ${dir} is not a directory: cog build keeps its scratch files there. Remove it (rm ${relative}) and build again.`);
    }
  }
}
