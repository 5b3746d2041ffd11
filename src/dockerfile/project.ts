/**
 * Facts about a project directory that the Dockerfile depends on. Gathering them touches the disk;
 * `generateDockerfile` only reads the plain object, so its tests need no files.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { UserError } from "../errors.js";

/** Files at least this large (and not source code) get their own layer before the code, as Cog does. */
export const LARGE_FILE_BYTES = 10 * 1024 * 1024;

export type Lockfile = "package-lock.json" | "npm-shrinkwrap.json";

export interface ProjectFacts {
  /** The config file name as given with `-f` (relative to the project), e.g. `cog.yaml`. */
  configFile: string;
  hasPackageJson: boolean;
  lockfile?: Lockfile;
  /** Runtime dependencies from package.json (`dependencies` only: dev dependencies stay out of the image). */
  dependencies: Record<string, string>;
  hasTsconfig: boolean;
  /** Whether any `.ts`/`.mts`/`.cts` source (not `.d.ts`) exists: then the image build compiles them. */
  hasTypeScript: boolean;
  /** Project-relative POSIX paths of large weight files, sorted. */
  weights: string[];
}

/** Directories never looked into: they are not sent to the engine either. */
const SKIPPED_DIRS = new Set(["node_modules", ".git", ".cog"]);
const CODE_OR_MEDIA = /\.(?:[cm]?[jt]s|tsx|jsx|json|md|txt|ya?ml|png|jpe?g|gif|webp|bmp|svg|mp[34]|wav|ogg|webm|mov|avi|log)$/i;
const TYPESCRIPT_SOURCE = /\.(?:[cm]?ts|tsx)$/;

/** Walks the project (skipping node_modules, .git, .cog and what `ignored` says) and reads package.json. */
export async function readProjectFacts(
  dir: string,
  configFile = "cog.yaml",
  ignored: (relativePath: string, isDir: boolean) => boolean = () => false,
): Promise<ProjectFacts> {
  const weights: string[] = [];
  let hasTypeScript = false;
  async function walk(relativeDir: string): Promise<void> {
    const entries = await readdir(path.join(dir, relativeDir), { withFileTypes: true });
    for (const entry of entries) {
      const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name) || ignored(relative, true)) continue;
        await walk(relative);
      } else if (entry.isFile() && !ignored(relative, false)) {
        if (TYPESCRIPT_SOURCE.test(entry.name) && !entry.name.endsWith(".d.ts")) hasTypeScript = true;
        if (CODE_OR_MEDIA.test(entry.name)) continue;
        const { size } = await stat(path.join(dir, relative));
        if (size >= LARGE_FILE_BYTES) weights.push(relative);
      }
    }
  }
  await walk("");

  const exists = async (name: string) => stat(path.join(dir, name)).then(() => true, () => false);
  let dependencies: Record<string, string> = {};
  const hasPackageJson = await exists("package.json");
  if (hasPackageJson) {
    try {
      const pkg = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
      dependencies = pkg.dependencies ?? {};
    } catch (err) {
      throw new UserError(`package.json is not valid JSON: ${(err as Error).message}`);
    }
  }
  const lockfile = (await exists("npm-shrinkwrap.json"))
    ? "npm-shrinkwrap.json"
    : (await exists("package-lock.json"))
      ? "package-lock.json"
      : undefined;
  return {
    configFile,
    hasPackageJson,
    lockfile,
    dependencies,
    hasTsconfig: await exists("tsconfig.json"),
    hasTypeScript,
    weights: weights.sort(),
  };
}
