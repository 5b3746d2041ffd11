/**
 * The build context: the project directory as a tar stream, minus what `.dockerignore` names, minus
 * `node_modules`, `.git` and `.cog/` scratch, plus `.cog/build/`, the build kit src/model/stage.ts fills with what
 * the Dockerfile copies from it (the cogts runtime bundle, the transpiled TypeScript, the schema, the Dockerfile).
 */
import { existsSync, lstatSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { BUILD_DIR } from "../dockerfile/index.js";
import { parseDockerignore } from "./dockerignore.js";

/** Never sent to the engine, wherever they are. */
const ALWAYS_EXCLUDED_NAMES = new Set(["node_modules", ".git"]);

/** A predicate over context-relative POSIX paths: true when the path stays out of the build context. */
export async function contextIgnorer(dir: string): Promise<(relativePath: string, isDir: boolean) => boolean> {
  const dockerignorePath = path.join(dir, ".dockerignore");
  const dockerignore = existsSync(dockerignorePath)
    ? parseDockerignore(await readFile(dockerignorePath, "utf8"))
    : undefined;
  return (relativePath, isDir) => {
    if (relativePath === ".cog" || relativePath === BUILD_DIR || relativePath.startsWith(`${BUILD_DIR}/`)) return false;
    if (relativePath.startsWith(".cog/")) return true;
    if (relativePath.split("/").some((part) => ALWAYS_EXCLUDED_NAMES.has(part))) return true;
    if (!dockerignore) return false;
    // With `!` exceptions an excluded directory may hold re-included files, so it is walked.
    if (isDir && dockerignore.hasExceptions) return false;
    return dockerignore(relativePath);
  };
}

/** The context as a tar stream, entries sorted so that the same project gives the same bytes. */
export async function contextStream(dir: string): Promise<Readable> {
  const { pack } = await import("tar-fs");
  const ignored = await contextIgnorer(dir);
  const root = path.resolve(dir);
  const options: import("tar-fs").PackOptions & { sort: boolean } = {
    sort: true,
    ignore(name: string) {
      const relative = path.relative(root, name).split(path.sep).join("/");
      if (relative === "" || relative.startsWith("..")) return false;
      return ignored(relative, lstatSync(name).isDirectory());
    },
    map(header) {
      // Ownership of the author's files means nothing in the image; root-owned like Docker's own CLI sends.
      header.uid = 0;
      header.gid = 0;
      return header;
    },
  };
  return pack(root, options) as unknown as Readable;
}
