/**
 * Messages between the server (parent) and the worker child process: newline-delimited JSON on an fd-3 socket.
 * Inputs and outputs that are files travel as paths, never as bytes.
 */
import type { MetricMode } from "../sdk/scope.js";

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
}

/** A value marking a file output: the parent reads it and sends a data URL or an uploaded URL instead. */
export interface FileRef {
  __cogtsFile: string;
}

export type ToWorker =
  | { type: "predict"; id: string; input?: Record<string, unknown>; inputFile?: string; context?: Record<string, string> }
  | { type: "cancel"; id: string }
  | { type: "healthcheck"; requestId: number };

export type FromWorker =
  | { type: "ready"; hasHealthcheck: boolean }
  | { type: "setup_failed"; error: string }
  | { type: "output"; id: string; value: unknown; chunk: boolean }
  | { type: "metric"; id: string; name: string; value: unknown; mode: MetricMode }
  | { type: "log"; id: string; source: "stdout" | "stderr"; data: string }
  /** `output` is the return value of a non-iterator predictor (one message instead of two on the hot path). */
  | { type: "done"; id: string; status: "succeeded" | "failed" | "canceled"; error?: string; output?: unknown; iterator: boolean }
  | { type: "healthcheck"; requestId: number; error?: string };
