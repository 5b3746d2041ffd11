/**
 * One prediction's state as clients see it: status, logs, output, metrics, timestamps, and the events that
 * SSE subscribers and webhooks follow.
 */
import type { MetricMode } from "../scope/index.js";
import { RedactingStream, recentSecrets } from "./redact.js";

export type Status = "starting" | "processing" | "succeeded" | "failed" | "canceled";

export type PredictionEvent =
  | { type: "start" }
  | { type: "output"; chunk: unknown; index: number }
  | { type: "log"; source: "stdout" | "stderr"; data: string }
  | { type: "metric"; name: string; value: unknown; mode: MetricMode }
  | { type: "completed" };

type Listener = (event: PredictionEvent) => void;

const MASK = "**********";

/**
 * The most a prediction's logs (and the setup logs) keep, in characters: 8 Mi unless COGTS_MAX_LOG_CHARS says
 * otherwise. Past it, output is counted and dropped, and the logs end with a line saying how much was.
 */
export const LOG_LIMIT = logLimitFromEnv();

function logLimitFromEnv(): number {
  const value = Number(process.env.COGTS_MAX_LOG_CHARS);
  return Number.isInteger(value) && value > 0 ? value : 8 * 1024 * 1024;
}

export function truncationNote(dropped: number): string {
  return `\n[cogts: logs truncated: ${dropped} more characters were dropped past the ${LOG_LIMIT}-character limit (COGTS_MAX_LOG_CHARS)]\n`;
}

let lastMs = -1;
let lastIso = "";
/**
 * `new Date().toISOString()` for the current millisecond, formatted once per millisecond: V8 formats dates
 * through printf, and a busy server stamps three times per prediction, many predictions per millisecond.
 */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

export class Prediction {
  status: Status = "starting";
  logs = "";
  output: unknown = undefined;
  /** Outputs so far of an iterator predictor. */
  chunks: unknown[] = [];
  iterator = false;
  error?: string;
  metrics: Record<string, unknown> = {};
  /** Characters of output dropped past LOG_LIMIT. */
  private logsDropped = 0;
  /** Made when there are secrets to mask: one per source, as a secret may be split across two pieces. */
  private redactors?: { stdout: RedactingStream; stderr: RedactingStream };
  readonly created_at: string;
  started_at?: string;
  completed_at?: string;
  private startedMs = 0;
  private readonly listeners = new Set<Listener>();
  readonly history: PredictionEvent[] = [];
  /** Events dropped from the front of `history` (COG_STREAM_HISTORY_CAPACITY): a replay is then incomplete. */
  historyDropped = 0;
  /** Created by an SSE request: canceled when its last subscriber leaves. */
  sseOwned = false;
  subscribers = 0;
  private donePromise?: Promise<void>;
  private resolveDone?: () => void;

  constructor(
    readonly id: string,
    /** The validated input, as the client sent it (secrets masked when shown). */
    readonly input: Record<string, unknown>,
    readonly secretNames: readonly string[],
    readonly historyCapacity = 1024,
    createdAt?: string,
  ) {
    this.created_at = createdAt ?? isoNow();
    for (const value of this.secretValues()) recentSecrets.add(value);
  }

  /** Settles when the prediction has finished. Made on first use: most predictions finish before anyone asks. */
  get done(): Promise<void> {
    this.donePromise ??= this.terminal ? Promise.resolve() : new Promise((resolve) => (this.resolveDone = resolve));
    return this.donePromise;
  }

  get terminal(): boolean {
    return this.status === "succeeded" || this.status === "failed" || this.status === "canceled";
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: PredictionEvent): void {
    if (this.historyCapacity > 0) {
      this.history.push(event);
      if (this.history.length > this.historyCapacity) {
        this.history.shift();
        this.historyDropped++;
      }
    }
    for (const listener of this.listeners) listener(event);
  }

  start(): void {
    if (this.status !== "starting") return;
    this.status = "processing";
    this.started_at = isoNow();
    this.startedMs = performance.now();
    this.emit({ type: "start" });
  }

  appendLog(source: "stdout" | "stderr", data: string): void {
    if (this.terminal) return;
    if (recentSecrets.size > 0) {
      this.redactors ??= { stdout: new RedactingStream(), stderr: new RedactingStream() };
      data = this.redactors[source].write(data);
    }
    this.keepLog(source, data);
  }

  private keepLog(source: "stdout" | "stderr", data: string): void {
    if (data === "") return;
    if (this.logsDropped > 0) {
      this.logsDropped += data.length;
      return;
    }
    if (this.logs.length + data.length > LOG_LIMIT) {
      const room = LOG_LIMIT - this.logs.length;
      this.logsDropped = data.length - room;
      data = data.slice(0, room);
      if (data === "") return;
    }
    this.logs += data;
    this.emit({ type: "log", source, data });
  }

  /** What the redactors kept back, and the note on dropped output: the logs are complete. */
  private endLogs(): void {
    if (this.redactors) {
      this.keepLog("stdout", this.redactors.stdout.end());
      this.keepLog("stderr", this.redactors.stderr.end());
    }
    if (this.logsDropped > 0) {
      const note = truncationNote(this.logsDropped);
      this.logs += note;
      this.emit({ type: "log", source: "stderr", data: note });
    }
  }

  appendChunk(chunk: unknown): void {
    this.iterator = true;
    const clean = this.redactValue(chunk);
    this.chunks.push(clean);
    this.emit({ type: "output", chunk: clean, index: this.chunks.length - 1 });
  }

  recordMetric(name: string, rawValue: unknown, mode: MetricMode): void {
    const value = this.redactValue(rawValue);
    const path = name.split(".");
    // The worker checks names as Cog does; this is the server's own guard, whatever the worker sends: only own
    // properties are read, and `__proto__` (the one key whose assignment reaches a prototype) is never used.
    if (path.some((key) => key === "" || key === "__proto__")) return;
    const own = (object: Record<string, unknown>, key: string) =>
      Object.hasOwn(object, key) ? object[key] : undefined;
    let target = this.metrics;
    for (const key of path.slice(0, -1)) {
      const next = own(target, key);
      if (next === null || typeof next !== "object" || Array.isArray(next)) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    const leaf = path[path.length - 1]!;
    if (mode === "increment") {
      const previous = own(target, leaf);
      target[leaf] = (typeof previous === "number" ? previous : 0) + (typeof value === "number" ? value : 0);
    } else if (mode === "append") {
      // In place: copying the list on each append made n appends cost n² (a list set by "replace" is a copy, so
      // the list is this prediction's own and no event shares it).
      const previous = own(target, leaf);
      if (Array.isArray(previous)) previous.push(value);
      else target[leaf] = previous === undefined ? [value] : [previous, value];
    } else if (value === null) {
      delete target[leaf];
    } else {
      target[leaf] = Array.isArray(value) ? [...value] : value;
    }
    this.emit({ type: "metric", name, value, mode });
  }

  finish(status: "succeeded" | "failed" | "canceled", fields: { output?: unknown; error?: string } = {}): void {
    if (this.terminal) return;
    if (this.status === "starting") this.start();
    if (this.redactors || this.logsDropped > 0) this.endLogs();
    this.status = status;
    if (fields.output !== undefined) this.output = this.redactValue(fields.output);
    else if (this.iterator) this.output = this.chunks;
    if (fields.error !== undefined) this.error = this.redact(fields.error);
    this.completed_at = isoNow();
    this.metrics.predict_time = Math.round((performance.now() - this.startedMs) * 1000) / 1e6;
    this.emit({ type: "completed" });
    this.resolveDone?.();
  }

  /** The state snapshot of Cog 0.22 (webhooks, SSE `completed`, PUT of an in-flight id), with the legacy fields. */
  snapshot(): Record<string, unknown> {
    const body: Record<string, unknown> = { id: this.id, status: this.status, input: this.shownInput() };
    if (this.terminal) {
      body.output = this.output === undefined ? null : this.output;
    } else if (this.chunks.length > 0) {
      body.output = this.chunks;
    }
    if (this.error !== undefined) body.error = this.error;
    body.logs = this.logs;
    const metrics: Record<string, unknown> = { ...this.metrics };
    if (!this.terminal) delete metrics.predict_time;
    body.metrics = metrics;
    body.created_at = this.created_at;
    if (this.started_at) body.started_at = this.started_at;
    if (this.completed_at) body.completed_at = this.completed_at;
    return body;
  }

  shownInput(): Record<string, unknown> {
    if (this.secretNames.length === 0) return this.input;
    const shown = { ...this.input };
    for (const name of this.secretNames) {
      const value = shown[name];
      if (typeof value === "string") shown[name] = MASK;
      else if (Array.isArray(value)) shown[name] = value.map(() => MASK);
    }
    return shown;
  }

  private secretValues(): string[] {
    const values: string[] = [];
    for (const name of this.secretNames) {
      const value = this.input[name];
      for (const item of Array.isArray(value) ? value : [value]) {
        if (typeof item === "string" && item.length > 0) values.push(item);
      }
    }
    return values;
  }

  /** Secret input values never leave the server: replaced wherever they show up in logs, errors or outputs. */
  redact(text: string): string {
    return recentSecrets.redact(text);
  }

  redactValue(value: unknown): unknown {
    if (recentSecrets.size === 0) return value;
    if (typeof value === "string") return this.redact(value);
    if (Array.isArray(value)) return value.map((item) => this.redactValue(item));
    if (value !== null && typeof value === "object") {
      // Defined, not assigned: a key named `__proto__` stays a plain key.
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        Object.defineProperty(out, key, {
          value: this.redactValue(item),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return value;
  }
}
