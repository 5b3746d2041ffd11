import { homedir } from "node:os";
import { join } from "node:path";

/**
 * What a push may be tuned with, as plain data. The environment is read here and only here, by the CLI
 * (`readPushSettings()`); everything below takes these values as arguments.
 */
export interface PushSettings {
  /** Blobs uploaded at once (`COG_PUSH_CONCURRENCY`, default 5). */
  concurrency: number;
  /** Upload new layers while they are compressed (`COG_PUSH_STREAM=0` turns it off). */
  streamUploads: boolean;
  /** gzip level 0-9 (`COG_PUSH_GZIP_LEVEL`, default 1: layers are big, speed wins). */
  gzipLevel: number;
  /** The push cache: compressed layers by DiffID, pushed-blob records (`COGTS_CACHE_DIR`, else XDG cache). */
  cacheDir: string;
  /** Bytes of compressed layers the cache keeps (`COGTS_PUSH_CACHE_MAX_BYTES`, default 20 GiB). */
  cacheBudget: number;
  /** Read layers from a local engine's storage directory (`COGTS_PUSH_FROM_STORAGE=0` turns it off). */
  fromStorage: boolean;
}

type Env = Record<string, string | undefined>;

export function cacheRoot(env: Env = {}): string {
  if (env.COGTS_CACHE_DIR) return env.COGTS_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "cogts");
}

function concurrencyOf(env: Env): number {
  const n = Number(env.COG_PUSH_CONCURRENCY ?? "5");
  return Number.isInteger(n) && n > 0 ? n : 5;
}

function gzipLevelOf(env: Env): number {
  const level = Number(env.COG_PUSH_GZIP_LEVEL ?? "1");
  return Number.isInteger(level) && level >= 0 && level <= 9 ? level : 1;
}

function cacheBudgetOf(env: Env): number {
  const raw = env.COGTS_PUSH_CACHE_MAX_BYTES?.trim();
  const n = raw ? Number(raw) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : 20 * 1024 ** 3;
}

/** The push settings from an environment (the CLI passes process.env; an empty one gives the defaults). */
export function readPushSettings(env: Env = process.env): PushSettings {
  return {
    concurrency: concurrencyOf(env),
    streamUploads: env.COG_PUSH_STREAM !== "0",
    gzipLevel: gzipLevelOf(env),
    cacheDir: cacheRoot(env),
    cacheBudget: cacheBudgetOf(env),
    fromStorage: env.COGTS_PUSH_FROM_STORAGE !== "0",
  };
}
