/**
 * Schema results cached by the hash of every source they were derived from (the config file and each predictor
 * file read), in `<project>/.cog/schema-cache.json`. A hit costs a few file reads and hashes: ts-morph is not
 * loaded at all. `.cog/` is never sent to image builds, as in Cog.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, join, relative, resolve, sep } from "node:path";
import { COGTS_VERSION } from "../version.js";
import { writeCogCache } from "../cog-dir.js";
import type { OpenApiDocument, SchemaProject } from "./index.js";

export const CACHE_FILE = join(".cog", "schema-cache.json");

interface CacheEntry {
  cogtsVersion: string;
  /** sha256 of every file the result depends on, by path relative to the project (the config file included). */
  files: Record<string, string>;
  document: OpenApiDocument;
}

interface CacheFile {
  /** One entry per config file name (`-f`), so switching configs does not evict the other. */
  entries: Record<string, CacheEntry>;
}

function hashFile(path: string): string | undefined {
  try {
    return createHash("sha256").update(readFileSync(path)).digest("hex");
  } catch {
    return undefined;
  }
}

function readCache(dir: string): CacheFile {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, CACHE_FILE), "utf8")) as CacheFile;
    return parsed && typeof parsed.entries === "object" ? parsed : { entries: {} };
  } catch {
    return { entries: {} };
  }
}

/** The cached document for this config file, if every source it was built from is unchanged. */
export function lookupCachedSchema(dir: string, configFile: string): OpenApiDocument | undefined {
  const entry = readCache(dir).entries[configFile];
  if (!entry || entry.cogtsVersion !== COGTS_VERSION) return undefined;
  for (const [path, hash] of Object.entries(entry.files)) {
    if (hashFile(resolve(dir, path)) !== hash) return undefined;
  }
  return entry.document;
}

function storeCachedSchema(dir: string, configFile: string, filesRead: string[], document: OpenApiDocument): void {
  const files: Record<string, string> = {};
  for (const path of [resolve(dir, configFile), ...filesRead]) {
    const hash = hashFile(path);
    if (hash) files[relative(dir, path).split(sep).join("/")] = hash;
  }
  const cache = readCache(dir);
  cache.entries[configFile] = { cogtsVersion: COGTS_VERSION, files, document };
  writeCogCache(dir, basename(CACHE_FILE), JSON.stringify(cache));
}

/**
 * The schema of a project, from the cache when its sources are unchanged, else generated and cached.
 * `readRefs` is called only on a miss, so a hit never parses the config file.
 */
export async function cachedSchema(
  dir: string,
  configFile: string,
  readRefs: () => Promise<SchemaProject>,
): Promise<{ document: OpenApiDocument; fromCache: boolean }> {
  const hit = lookupCachedSchema(dir, configFile);
  if (hit) return { document: hit, fromCache: true };
  const project = await readRefs();
  const { generateSchemaWithSources } = await import("./index.js");
  const { document, filesRead } = await generateSchemaWithSources(project);
  storeCachedSchema(dir, configFile, filesRead, document);
  return { document, fromCache: false };
}
