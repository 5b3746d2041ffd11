/**
 * Type-check results cached in `<project>/.cog/typecheck-cache.json`, keyed by everything the check read: the
 * project's own files by content hash, other files (node_modules, the compiler's libraries) by size and time, the
 * list of TypeScript files in the project (a new file can change what tsconfig.json includes) and npm's record of
 * the last install, here and above. A hit loads no compiler: a repeated `cog doctor` or `cog build` costs a few stats and hashes.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { COGTS_VERSION } from "../version.js";
import { writeCogCache } from "../cog-dir.js";

const CACHE_FILE = path.join(".cog", "typecheck-cache.json");
const SKIPPED_DIRS = new Set(["node_modules", ".git", ".cog"]);
const TS_OR_CONFIG = /\.(?:[cm]?ts|tsx)$|^tsconfig.*\.json$|^package\.json$/;
/**
 * Stamped whatever the check read: the configs, and npm's record of the last install in the project and in each
 * folder above it (a workspace installs there), which changes when a dependency comes, goes or changes.
 */
function alwaysStamped(dir: string): string[] {
  const files = ["tsconfig.json", "package.json"];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    files.push(path.join(at, "node_modules", ".package-lock.json"));
    if (path.dirname(at) === at) return files;
  }
}

interface CachedResult<T> {
  cogtsVersion: string;
  /** The request the result answers (the entry files). */
  key: string;
  /** Stamp of each file read, by path (relative to the project when inside it). */
  files: Record<string, string>;
  /** The TypeScript files and configs of the project, as listed at the time. */
  listing: string;
  result: T;
}

/** `sha256` of the content for the project's own files, `size:mtime` for the rest; "-" when missing. */
function stamp(dir: string, file: string): string {
  const absolute = path.resolve(dir, file);
  try {
    const relative = path.relative(dir, absolute);
    const own =
      !relative.startsWith("..") && !path.isAbsolute(relative) && !relative.split(path.sep).includes("node_modules");
    if (own) return createHash("sha256").update(readFileSync(absolute)).digest("hex");
    const stats = statSync(absolute);
    return `${stats.size}:${stats.mtimeMs}`;
  } catch {
    return "-";
  }
}

/** The project's TypeScript sources and configs, outside node_modules, .git and .cog: a short hash. */
function listing(dir: string): string {
  const found: string[] = [];
  const walk = (relative: string) => {
    let entries;
    try {
      entries = readdirSync(path.join(dir, relative), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) walk(child);
      else if (TS_OR_CONFIG.test(entry.name)) found.push(child);
    }
  };
  walk("");
  return createHash("sha256").update(found.sort().join("\n")).digest("hex");
}

function readCache<T>(dir: string): Record<string, CachedResult<T>> {
  try {
    const parsed = JSON.parse(readFileSync(path.join(dir, CACHE_FILE), "utf8")) as Record<string, CachedResult<T>>;
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

/** The cached result for this request, if nothing it was derived from changed. */
export function lookupTypecheck<T>(dir: string, key: string, compilerVersion: string): T | undefined {
  const entry = readCache<T>(dir)[key];
  if (!entry || entry.cogtsVersion !== `${COGTS_VERSION}/${compilerVersion}`) return undefined;
  if (entry.listing !== listing(dir)) return undefined;
  for (const [file, expected] of Object.entries(entry.files)) {
    if (stamp(dir, file) !== expected) return undefined;
  }
  return entry.result;
}

export function storeTypecheck<T>(
  dir: string,
  key: string,
  compilerVersion: string,
  filesRead: Iterable<string>,
  result: T,
): void {
  const files: Record<string, string> = {};
  for (const file of [...alwaysStamped(dir), ...filesRead]) {
    const relative = path.relative(dir, path.resolve(dir, file));
    const name =
      relative.startsWith("..") || path.isAbsolute(relative)
        ? path.resolve(dir, file)
        : relative.split(path.sep).join("/");
    files[name] ??= stamp(dir, name);
  }
  const cache = readCache<T>(dir);
  cache[key] = { cogtsVersion: `${COGTS_VERSION}/${compilerVersion}`, key, files, listing: listing(dir), result };
  writeCogCache(dir, path.basename(CACHE_FILE), JSON.stringify(cache));
}
