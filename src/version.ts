import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

/** The package root, found from this file whether it runs from src/ (tests) or dist/src/ (installed). */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "cogts") return dir;
    } catch {
      /* keep walking up */
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cogts: cannot find its own package.json");
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot();

/** The cogts version: `run.cog.version` label, `info.version` of schemas, `cog --version`. */
export const COGTS_VERSION: string = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }
).version;
