/**
 * File outputs (docs/spec/cog-contract.md §4.8): data URLs, or uploads to `--upload-url`. The worker lists them out of band
 * (protocol.ts, `FileSlot`); the server reads only those, only inside the prediction's own output directory, and
 * only regular files: the path is checked piece by piece, opened with O_NOFOLLOW and checked again on the open
 * file, so neither a name nor a symlink nor a device (/dev/zero) gets anything else read.
 */
import { constants } from "node:fs";
import { lstat, open, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { mimeTypeOf, safeFileName } from "./files.js";
import { outputDirName, type FileSlot } from "../protocol/index.js";

/** A data URL is a string, and V8's strings stop at 512 MiB: a file larger than this needs --upload-url. */
const MAX_DATA_URL_FILE_BYTES = 384 * 1024 * 1024;

interface OutputFileOptions {
  uploadUrl?: string;
  predictionId: string;
  /** The root of all predictions' output directories (WorkerOptions.outputDir). */
  outputRoot: string;
}

/** The output directory of one prediction. */
function predictionOutputDir(options: OutputFileOptions): string {
  return join(options.outputRoot, outputDirName(options.predictionId));
}

/** Removes a prediction's output directory once its files have been sent. */
export async function removeOutputFiles(options: OutputFileOptions): Promise<void> {
  await rm(predictionOutputDir(options), { recursive: true, force: true }).catch(() => undefined);
}

/** Puts a data URL or an uploaded URL at each slot of `value` (a value parsed from the worker's message). */
export async function resolveOutputFiles(
  value: unknown,
  files: readonly FileSlot[],
  options: OutputFileOptions,
): Promise<unknown> {
  const urls = await Promise.all(files.map((slot) => sendFile(slot.name, options)));
  let root = value;
  files.forEach((slot, i) => {
    if (slot.at.length === 0) {
      root = urls[i];
      return;
    }
    let container: unknown = root;
    for (const key of slot.at.slice(0, -1)) container = ownValue(container, key);
    const last = slot.at[slot.at.length - 1]!;
    if (container === null || typeof container !== "object" || !Object.hasOwn(container, last))
      throw new Error("a file output names a place the output does not have");
    Object.defineProperty(container, last, { value: urls[i], enumerable: true, writable: true, configurable: true });
  });
  return root;
}

function ownValue(container: unknown, key: string | number): unknown {
  if (container === null || typeof container !== "object" || !Object.hasOwn(container, key)) {
    throw new Error("a file output names a place the output does not have");
  }
  return (container as Record<string | number, unknown>)[key];
}

/** Reads one output file, as described at the top of this file. */
async function readOutputFile(name: string, options: OutputFileOptions): Promise<Buffer> {
  const parts = name.split("/");
  if (
    parts.length !== 2 ||
    !/^\d+$/.test(parts[0]!) ||
    parts[1] === "" ||
    parts[1] === "." ||
    parts[1] === ".." ||
    parts[1]!.includes("\0")
  ) {
    throw new Error(
      `the worker named an output file outside the prediction's directory: ${JSON.stringify(name.slice(0, 200))}`,
    );
  }
  const directory = predictionOutputDir(options);
  for (const dir of [options.outputRoot, directory, join(directory, parts[0]!)]) {
    const stats = await lstat(dir);
    if (!stats.isDirectory()) throw new Error(`the output directory ${dir} is not a directory`);
  }
  const path = join(directory, parts[0]!, parts[1]!);
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw new Error(
      `the output file ${parts[1]} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error(`the output ${parts[1]} is not a regular file`);
    if (!options.uploadUrl && stats.size > MAX_DATA_URL_FILE_BYTES) {
      throw new Error(
        `the output file ${parts[1]} (${stats.size} bytes) is too large for a data URL; start the server with --upload-url`,
      );
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

async function sendFile(name: string, options: OutputFileOptions): Promise<string> {
  const bytes = await readOutputFile(name, options);
  const fileName = basename(name);
  const mime = mimeTypeOf(fileName);
  if (!options.uploadUrl) return `data:${mime};base64,${bytes.toString("base64")}`;
  const base = options.uploadUrl.endsWith("/") ? options.uploadUrl : `${options.uploadUrl}/`;
  const target = base + encodeURIComponent(safeFileName(fileName));
  let response: Response;
  try {
    response = await fetch(target, {
      method: "PUT",
      body: bytes,
      headers: { "content-type": mime, "x-prediction-id": encodeURIComponent(options.predictionId) },
      signal: AbortSignal.timeout(25_000),
    });
  } catch (error) {
    throw new Error(`upload of ${fileName} to ${target} failed: ${(error as Error).message}`);
  }
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new Error(`upload of ${fileName} to ${target} failed: HTTP ${response.status}`);
  const location = response.headers.get("location");
  const url = new URL(location ?? response.url ?? target, target);
  url.search = "";
  url.hash = "";
  return url.href;
}
