/**
 * Messages between the server (parent) and the worker child process: newline-delimited JSON on an fd-3 socket.
 * Inputs and outputs that are files travel as paths, never as bytes.
 *
 * File outputs travel out of band: the worker puts a copy (or a hard link) of each file it returns into the
 * prediction's own output directory, leaves `null` at its place in the value, and lists the places in `files`.
 * Nothing inside an output value is ever taken for a file, so a predictor that echoes a client's input cannot
 * make the server read a file the client names.
 */
import { createHash } from "node:crypto";
import type { MetricMode } from "../scope/index.js";

/** How the worker turns one input value into a predictor argument. */
export interface ParameterPlan {
  name: string;
  /** "path": wrap strings in `Path`; "secret": wrap in `Secret`. `array` applies the wrapping to each item. */
  kind: "plain" | "path" | "secret";
  array: boolean;
  /** Nullable, not required and no default: an omitted value arrives as `null`, as in Cog. */
  nullWhenMissing: boolean;
}

export interface WorkerOptions {
  /** Absolute path of the module file to load, and the exported class name. */
  modulePath: string;
  className: string;
  /** "predict" or "train": which method to call (`run` is accepted as `predict`). */
  mode: "predict" | "train";
  parameters: ParameterPlan[];
  /** Route in-scope console output over IPC (needed when several predictions share the worker). */
  tagLogs: boolean;
  maxConcurrency: number;
  /** Where output files go: `<outputDir>/<outputDirName(id)>/<n>/<file name>`, made by the server, mode 0700. */
  outputDir: string;
}

/** A file output: where it sits in the output value (keys and indices), and its name in the prediction's directory. */
export interface FileSlot {
  at: (string | number)[];
  /** `<n>/<file name>`: a numbered subdirectory keeps the predictor's file name (its extension gives the MIME type). */
  name: string;
}

/** The directory of one prediction's output files under `outputDir`: the same name on both sides, from the id. */
export function outputDirName(id: string): string {
  return createHash("sha256").update(id).digest("hex").slice(0, 32);
}

export type ToWorker =
  | {
      type: "predict";
      id: string;
      input?: Record<string, unknown>;
      inputFile?: string;
      context?: Record<string, string>;
    }
  | { type: "cancel"; id: string }
  | { type: "healthcheck"; requestId: number };

export type FromWorker =
  | { type: "ready"; hasHealthcheck: boolean }
  | { type: "setup_failed"; error: string }
  | { type: "output"; id: string; value: unknown; chunk: boolean; files?: FileSlot[] }
  | { type: "metric"; id: string; name: string; value: unknown; mode: MetricMode }
  | { type: "log"; id: string; source: "stdout" | "stderr"; data: string }
  /** `output` is the return value of a non-iterator predictor (one message instead of two on the hot path). */
  | {
      type: "done";
      id: string;
      status: "succeeded" | "failed" | "canceled";
      error?: string;
      output?: unknown;
      files?: FileSlot[];
      iterator: boolean;
    }
  | { type: "healthcheck"; requestId: number; error?: string };

const PREDICTION_MESSAGES = new Set(["output", "metric", "log", "done"]);

/** The fields the server relies on, checked before it acts on a message (the channel checked that it has a type). */
export function wellFormed(message: FromWorker): boolean {
  if (PREDICTION_MESSAGES.has(message.type) && typeof (message as { id?: unknown }).id !== "string") return false;
  switch (message.type) {
    case "log":
      return typeof message.data === "string" && (message.source === "stdout" || message.source === "stderr");
    case "metric":
      return (
        typeof message.name === "string" &&
        (message.mode === "replace" || message.mode === "increment" || message.mode === "append")
      );
    case "done":
      return (
        (message.status === "succeeded" || message.status === "failed" || message.status === "canceled") &&
        wellFormedFiles(message.files)
      );
    case "output":
      return wellFormedFiles(message.files);
    case "ready":
    case "setup_failed":
    case "healthcheck":
      return true;
    default:
      return false;
  }
}

function wellFormedFiles(files: unknown): boolean {
  return (
    files === undefined ||
    (Array.isArray(files) &&
      files.every(
        (slot: { name?: unknown; at?: unknown } | null) => typeof slot?.name === "string" && Array.isArray(slot.at),
      ))
  );
}
