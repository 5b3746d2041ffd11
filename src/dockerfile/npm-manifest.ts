/**
 * The npm manifest and lockfile the image installs from: the project's own, minus everything that is not the
 * model's runtime. The image always runs the predictor on the runtime cogts bundles into /opt/cogts (linked as
 * /src/node_modules/cogts), so however the project lists cogts (a registry range that cannot resolve while cogts
 * is unpublished, a tarball, a folder link, a workspace), the image build must never install it: a second SDK copy
 * would break `instanceof Path`, and its toolchain (typescript, ts-morph, dockerode, …) would bloat the image.
 *
 * So `dependencies`, `optionalDependencies` and `peerDependencies` lose `cogts`, `devDependencies` and `workspaces`
 * go (`npm ci --omit=dev` would not install dev packages, but npm still resolves them), and the lockfile keeps only
 * the packages still reachable from what is left. The result is what the same project would have had if it had
 * never listed cogts, byte for byte in what npm installs.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { UserError } from "../errors.js";

export const SDK_PACKAGE = "cogts";
const RUNTIME_DEPENDENCY_FIELDS = ["dependencies", "optionalDependencies", "peerDependencies"] as const;
type DependencyMap = Record<string, string>;

export interface PackageManifest {
  [key: string]: unknown;
  dependencies?: DependencyMap;
  devDependencies?: DependencyMap;
  optionalDependencies?: DependencyMap;
  peerDependencies?: DependencyMap;
}

interface LockEntry {
  [key: string]: unknown;
  resolved?: string;
  link?: boolean;
  dependencies?: DependencyMap;
  optionalDependencies?: DependencyMap;
  peerDependencies?: DependencyMap;
  devDependencies?: DependencyMap;
}

interface Lockfile {
  [key: string]: unknown;
  lockfileVersion?: number;
  packages?: Record<string, LockEntry>;
  dependencies?: unknown;
}

/** The project's package.json for the image: no cogts, no dev dependencies, no workspaces. */
export function imageManifest(manifest: PackageManifest): PackageManifest {
  const out: Record<string, unknown> = { ...manifest };
  delete out.devDependencies;
  delete out.workspaces;
  for (const field of [...RUNTIME_DEPENDENCY_FIELDS, "bundleDependencies", "bundledDependencies"] as const) {
    const value = out[field];
    if (Array.isArray(value)) {
      const kept = (value as string[]).filter((name) => name !== SDK_PACKAGE);
      if (kept.length > 0) out[field] = kept;
      else delete out[field];
    } else if (value && typeof value === "object") {
      const kept = Object.fromEntries(Object.entries(value as DependencyMap).filter(([name]) => name !== SDK_PACKAGE));
      if (Object.keys(kept).length > 0) out[field] = kept;
      else delete out[field];
    }
  }
  return out as PackageManifest;
}

/** Where Node finds `name` from the lockfile location `from` (`""` is the project, `node_modules/a` a package). */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ;) {
    const candidate = dir === "" || dir === "." ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (dir === "" || dir === ".") return undefined;
    // Climb out of this package: past its own name (and scope) and the node_modules holding it.
    let parent = path.posix.dirname(dir);
    while (parent !== "." && path.posix.basename(parent) === "node_modules") parent = path.posix.dirname(parent);
    dir = parent === "." ? "" : parent;
  }
}

/**
 * The lockfile for the image (lockfileVersion 2 or 3): the root entry matches `manifest` (see imageManifest), and
 * only the packages reachable from its runtime dependencies remain. Undefined for an older lockfile, which the
 * build then leaves out (npm resolves the pruned package.json instead).
 */
export function imageLockfile(lock: Lockfile, manifest: PackageManifest): Lockfile | undefined {
  const packages = lock.packages;
  if (!packages || (lock.lockfileVersion ?? 1) < 2) return undefined;
  const root: LockEntry = { ...(packages[""] ?? {}) };
  delete root.devDependencies;
  delete root.workspaces;
  for (const field of RUNTIME_DEPENDENCY_FIELDS) {
    if (manifest[field]) root[field] = manifest[field];
    else delete root[field];
  }
  const kept: Record<string, LockEntry> = { "": root };
  const queue: [string, LockEntry][] = [["", root]];
  while (queue.length > 0) {
    const [key, entry] = queue.shift()!;
    const names = RUNTIME_DEPENDENCY_FIELDS.flatMap((field) => Object.keys(entry[field] ?? {}));
    for (const name of names) {
      const found = locate(packages, key, name);
      if (!found || kept[found]) continue;
      kept[found] = packages[found]!;
      queue.push([found, packages[found]!]);
      // A link (a folder dependency, a workspace) points at the entry that holds the package's own dependencies.
      const link = packages[found]!;
      if (link.link && link.resolved && packages[link.resolved] && !kept[link.resolved]) {
        kept[link.resolved] = packages[link.resolved]!;
        queue.push([link.resolved, packages[link.resolved]!]);
      }
    }
  }
  const ordered = Object.fromEntries(
    Object.keys(packages)
      .filter((key) => kept[key])
      .map((key) => [key, kept[key]!]),
  );
  ordered[""] = root;
  const out: Lockfile = { ...lock, packages: ordered };
  // lockfileVersion 2 repeats the tree in the v1 `dependencies` layout, which npm 7+ ignores when `packages` is there.
  delete out.dependencies;
  return out;
}

export async function readJson<T>(file: string): Promise<T> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch (err) {
    throw new UserError(`${path.basename(file)} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Where the image's package.json and lockfile are staged, inside the build directory. */
export const IMAGE_NPM_DIR = "npm";

/**
 * Writes the image's package.json into `outDir` (emptied first), and the pruned lockfile when `lockfile` names the
 * project's (ProjectFacts.lockfile). Nothing is written for a project without package.json.
 */
export async function writeImageNpmFiles(dir: string, outDir: string, lockfile: string | undefined): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  const manifestPath = path.join(dir, "package.json");
  if (!existsSync(manifestPath)) return;
  const manifest = imageManifest(await readJson<PackageManifest>(manifestPath));
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  if (!lockfile) return;
  const lock = imageLockfile(await readJson<Lockfile>(path.join(dir, lockfile)), manifest);
  if (lock) await writeFile(path.join(outDir, lockfile), `${JSON.stringify(lock, null, 2)}\n`);
}
