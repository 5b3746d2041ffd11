/**
 * The run of a prediction whose input holds files: they are fetched (files.ts) into a directory of the prediction's
 * before the worker sees the input, a cancel stops the downloads, and the directory goes when the prediction ends.
 * The prediction service (service.ts) calls it and lends it what it needs through InputFileRun.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetchInputFiles, InputFileError, type DownloadLimits } from "./files.js";
import type { ParameterPlan } from "../protocol/index.js";
import type { Running } from "./service.js";

/** What a run with input files needs of the prediction service. */
export interface InputFileRun {
  parameters: readonly ParameterPlan[];
  download: DownloadLimits;
  /** Directories of downloaded input files of predictions still running; a shutdown removes what is left. */
  inputDirs: Set<string>;
  /** Ends the prediction (canceled once a cancel was asked for). */
  finish(
    entry: Running,
    status: "succeeded" | "failed" | "canceled",
    fields?: { output?: unknown; error?: string },
  ): void;
  /** Sends the prediction to the worker; `finished` once it is terminal. */
  runInWorker(entry: Running, input: Record<string, unknown>, finished: () => void): void;
  /** Frees the prediction's slot. */
  release(entry: Running): void;
}

/** Whether the input gives a value to a `Path` parameter: then its files are fetched before the worker runs. */
export function hasInputFiles(parameters: readonly ParameterPlan[], input: Record<string, unknown>): boolean {
  return parameters.some(
    (p) => p.kind === "path" && Object.hasOwn(input, p.name) && input[p.name] !== undefined && input[p.name] !== null,
  );
}

/**
 * Runs a prediction whose input holds files: fetches them into a directory of its own. Once the prediction ends its
 * slot is freed at once, and the directory is removed before the promise settles (and so before a sync answer).
 */
export async function runWithInputFiles(entry: Running, run: InputFileRun): Promise<string | undefined> {
  const { prediction } = entry;
  let directory: string | undefined;
  // Made before the first await: a cancel that comes in while the directory is made must stop the downloads.
  entry.downloads = new AbortController();
  try {
    directory = await mkdtemp(join(tmpdir(), "cogts-input-"));
    run.inputDirs.add(directory);
    let input: Record<string, unknown>;
    try {
      input = await fetchInputFiles(prediction.input, run.parameters, directory, run.download, entry.downloads.signal);
    } catch (error) {
      if (!(error instanceof InputFileError)) throw error;
      run.finish(entry, "failed", { error: error.message });
      // Cog 0.22: a file input that cannot be downloaded fails the prediction (a 200 `failed` when sync).
      return error.download || entry.cancelRequested ? undefined : error.message;
    }
    if (entry.cancelRequested) {
      run.finish(entry, "canceled");
      return undefined;
    }
    prediction.start();
    await new Promise<void>((resolve) => run.runInWorker(entry, input, resolve));
  } catch (error) {
    run.finish(entry, "failed", { error: (error as Error).message });
  } finally {
    run.release(entry);
    if (directory) await rm(directory, { recursive: true, force: true }).catch(() => undefined);
    if (directory) run.inputDirs.delete(directory);
  }
  return undefined;
}
