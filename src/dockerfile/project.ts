/**
 * Facts about a project directory that the Dockerfile depends on. Gathering them touches the disk;
 * `generateDockerfile` only reads the plain object, so its tests need no files.
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { imageManifest, readJson, SDK_PACKAGE, type PackageManifest } from "./npm-manifest.js";

/** Files at least this large (and not source code) get their own layer before the code, as Cog does. */
export const LARGE_FILE_BYTES = 10 * 1024 * 1024;

export type Lockfile = "package-lock.json" | "npm-shrinkwrap.json";

export interface ProjectFacts {
  /** The config file name as given with `-f` (relative to the project), e.g. `cog.yaml`. */
  configFile: string;
  hasPackageJson: boolean;
  /**
   * The lockfile the image installs from (pruned by npm-manifest.ts into `.cog/build/npm/`): set only when there
   * is something to install and the project's lockfile is one npm 7+ reads (lockfileVersion 2 or 3).
   */
  lockfile?: Lockfile;
  /**
   * What the image installs: package.json's dependencies, optional and peer dependencies, without `cogts` (the
   * image has its own runtime) and without dev dependencies.
   */
  dependencies: Record<string, string>;
  /**
   * Project-relative paths of the copies of cogts that package.json points at inside the project (`file:cogts.tgz`,
   * `file:vendor/cogts`): left out of the image like node_modules, as the image never uses them.
   */
  sdkCopies?: string[];
  hasTsconfig: boolean;
  /** Whether any `.ts`/`.mts`/`.cts` source (not `.d.ts`) exists: then the image build compiles them. */
  hasTypeScript: boolean;
  /** Project-relative POSIX paths of large weight files, sorted. */
  weights: string[];
}

/** Directories never looked into: they are not sent to the engine either. */
const SKIPPED_DIRS = new Set(["node_modules", ".git", ".cog"]);
const CODE_OR_MEDIA =
  /\.(?:[cm]?[jt]s|tsx|jsx|json|md|txt|ya?ml|png|jpe?g|gif|webp|bmp|svg|mp[34]|wav|ogg|webm|mov|avi|log)$/i;
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

  const exists = async (name: string) =>
    stat(path.join(dir, name)).then(
      () => true,
      () => false,
    );
  let dependencies: Record<string, string> = {};
  const sdkCopies: string[] = [];
  const hasPackageJson = await exists("package.json");
  let lockfile: Lockfile | undefined;
  if (hasPackageJson) {
    const pkg = await readJson<PackageManifest>(path.join(dir, "package.json"));
    const manifest = imageManifest(pkg);
    dependencies = { ...manifest.optionalDependencies, ...manifest.peerDependencies, ...manifest.dependencies };
    for (const field of ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"] as const) {
      const copy = sdkCopyInside(dir, pkg[field]?.[SDK_PACKAGE]);
      if (copy && !sdkCopies.includes(copy)) sdkCopies.push(copy);
    }
    if (Object.keys(dependencies).length > 0) {
      for (const name of ["npm-shrinkwrap.json", "package-lock.json"] as const) {
        if (!(await exists(name))) continue;
        const lock = await readJson<{ lockfileVersion?: number; packages?: object }>(path.join(dir, name));
        if (lock.packages && (lock.lockfileVersion ?? 1) >= 2) lockfile = name;
        break;
      }
    }
  }
  return {
    configFile,
    hasPackageJson,
    lockfile,
    dependencies,
    sdkCopies: sdkCopies.sort(),
    hasTsconfig: await exists("tsconfig.json"),
    hasTypeScript,
    weights: weights.sort(),
  };
}

/** `file:cogts-0.1.0.tgz` or `./vendor/cogts` → its project-relative POSIX path when it lies inside the project. */
function sdkCopyInside(dir: string, spec: string | undefined): string | undefined {
  if (!spec) return undefined;
  const local = spec.startsWith("file:") ? spec.slice(5) : /^\.{0,2}\//.test(spec) ? spec : undefined;
  if (local === undefined) return undefined;
  const relative = path.relative(dir, path.resolve(dir, local));
  if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).join("/");
}
