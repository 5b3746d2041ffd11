/**
 * The build kit in `<project>/.cog/build/`: the cogts runtime bundle, the transpiled TypeScript, the schema, the
 * CA certificates and the Dockerfile, which the Dockerfile copies from the context.
 *
 * `cog build` empties and rewrites what is there. A `.cog` or a `.cog/build` (or an entry cogts rewrites in them)
 * that is a symbolic link would take those deletions and writes outside the project, wherever the link points (a
 * cloned repository can ship such a link): refuse it, clearly.
 */
import { existsSync } from "node:fs";
import { cp, lstat, mkdir, readdir, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { UserError } from "../errors.js";
import { BUILD_DIR } from "../dockerfile/index.js";
import { contextIgnorer } from "../build-context/index.js";
import { PACKAGE_ROOT } from "../version.js";
import { transpileProject } from "./transpile.js";

/** The only packages the runtime may import (see the runtime's rules); their dependencies come along. */
const RUNTIME_PACKAGES = ["ajv", "undici"];
/** Inside copied packages: files a running program never reads (type declarations, TypeScript sources, docs). */
const NOT_NEEDED_FILE = /\.(?:[cm]?ts|map|md)$/;
const NOT_NEEDED_TOP_DIRS = new Set(["docs", "types", "scripts"]);

/** What cogts creates, rewrites or deletes under the project's `.cog/`, parents first. */
const STAGED = [
  ".cog",
  ".cog/build",
  ".cog/build/js",
  ".cog/build/cogts",
  ".cog/build/tsc",
  ".cog/build/Dockerfile",
  ".cog/build/openapi_schema.json",
  ".cog/build/ca-certificates.crt",
  ".cog/openapi_schema.json",
  ".cog/schema-cache.json",
];
const DIRECTORIES = new Set([".cog", ".cog/build"]);

export async function checkStagingArea(dir: string): Promise<void> {
  for (const relative of STAGED) {
    const full = path.join(dir, relative);
    const st = await lstat(full).catch(() => undefined);
    if (!st) continue;
    if (st.isSymbolicLink()) {
      const target = await readlink(full).catch(() => "?");
      throw new UserError(
        `${relative} in ${dir} is a symbolic link (to ${target}): cog build deletes and writes files there and will not follow a link out of the project. Remove the link (rm ${relative}) and build again.`,
      );
    }
    if (DIRECTORIES.has(relative) && !st.isDirectory()) {
      throw new UserError(
        `${relative} in ${dir} is not a directory: cog build keeps its scratch files there. Remove it (rm ${relative}) and build again.`,
      );
    }
  }
}

/** Runtime packages and everything they depend on, as directories under the package root's node_modules. */
function runtimePackageDirs(): string[] {
  const require = createRequire(path.join(PACKAGE_ROOT, "package.json"));
  const seen = new Map<string, string>();
  const visit = (name: string, from: string) => {
    if (seen.has(name)) return;
    const fromRequire = createRequire(path.join(from, "package.json"));
    let manifestPath: string;
    try {
      manifestPath = fromRequire.resolve(`${name}/package.json`);
    } catch {
      manifestPath = path.join(PACKAGE_ROOT, "node_modules", name, "package.json");
      if (!existsSync(manifestPath))
        throw new UserError(`cogts is missing its runtime dependency ${name}: reinstall cogts.`);
    }
    const packageDir = path.dirname(manifestPath);
    seen.set(name, packageDir);
    const manifest = require(manifestPath) as { dependencies?: Record<string, string> };
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, packageDir);
  };
  for (const name of RUNTIME_PACKAGES) visit(name, PACKAGE_ROOT);
  return [...seen.entries()].map(([name, dir]) => `${name}\0${dir}`);
}

/** `.cog/build/cogts`: this package's compiled runtime, a package.json naming it `cogts`, and its dependencies. */
async function writeRuntimeBundle(target: string): Promise<void> {
  const dist = path.join(PACKAGE_ROOT, "dist", "runtime");
  if (!existsSync(path.join(dist, "sdk", "index.js"))) {
    throw new UserError(`cogts's compiled runtime is missing (${dist}): run \`npm run build\` in ${PACKAGE_ROOT}.`);
  }
  const own = JSON.parse(await readFile(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as Record<string, unknown>;
  // Rewriting the bundle costs a few hundred ms per build; skip it when this cogts and its dist are the ones it holds.
  let newest = 0;
  for (const entry of await readdir(dist, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs);
  }
  const stamp = `${String(own.version)} ${PACKAGE_ROOT} ${newest}\n`;
  const stampPath = path.join(target, ".cogts-bundle");
  if ((await readFile(stampPath, "utf8").catch(() => "")) === stamp) return;
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  const manifest = {
    name: "cogts",
    version: own.version,
    type: "module",
    main: own.main,
    exports: own.exports,
    private: true,
  };
  await writeFile(path.join(target, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  await cp(dist, path.join(target, "dist", "runtime"), {
    recursive: true,
    preserveTimestamps: true,
    filter: (source) => !/\.(?:d\.ts|map)$/.test(source),
  });
  for (const entry of runtimePackageDirs()) {
    const [name, dir] = entry.split("\0") as [string, string];
    await cp(dir, path.join(target, "node_modules", name), {
      recursive: true,
      preserveTimestamps: true,
      filter: (source) => {
        const relative = path.relative(dir, source);
        return !NOT_NEEDED_FILE.test(relative) && !NOT_NEEDED_TOP_DIRS.has(relative);
      },
    });
  }
  await writeFile(stampPath, stamp);
}

export interface BuildDirContents {
  dockerfile: string;
  /** The OpenAPI document, written as `.cog/build/openapi_schema.json` and `.cog/openapi_schema.json` as Cog does. */
  schema?: object;
  /** PEM text copied into the image when the Dockerfile asks for it. */
  caCertificates?: string;
  /** Transpile the project's TypeScript into `.cog/build/js/`. */
  typescript?: boolean;
}

/** Fills `<dir>/.cog/build/` and returns the Dockerfile path relative to the context. */
export async function prepareBuildDir(dir: string, contents: BuildDirContents): Promise<string> {
  const buildDir = path.join(dir, BUILD_DIR);
  await mkdir(buildDir, { recursive: true });
  await writeRuntimeBundle(path.join(buildDir, "cogts"));
  await rm(path.join(buildDir, "tsc"), { recursive: true, force: true });
  if (contents.typescript) await transpileProject(dir, path.join(buildDir, "js"), await contextIgnorer(dir));
  if (contents.schema) {
    const text = JSON.stringify(contents.schema);
    await writeFile(path.join(buildDir, "openapi_schema.json"), text);
    await writeFile(path.join(dir, ".cog", "openapi_schema.json"), text);
  }
  if (contents.caCertificates) await writeFile(path.join(buildDir, "ca-certificates.crt"), contents.caCertificates);
  await writeFile(path.join(buildDir, "Dockerfile"), contents.dockerfile);
  return `${BUILD_DIR}/Dockerfile`;
}
