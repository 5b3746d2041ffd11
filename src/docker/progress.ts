/**
 * Build progress for people: BuildKit steps as numbered plain lines (`#3 [2/9] RUN apt-get …`, `#3 DONE 4.1s`),
 * or on a terminal a live list of steps redrawn in place, with the last log line of each running step.
 */
import type { TraceUpdate } from "./buildkit-trace.js";
import { UsageError } from "../errors.js";

export type ProgressMode = "auto" | "plain" | "tty" | "quiet";

export interface ProgressSink {
  /** BuildKit's structured progress. */
  trace(update: TraceUpdate): void;
  /** Text from the classic builder (or anything else worth showing as is). */
  text(chunk: string): void;
  /** Leaves the display in its final state. */
  close(): void;
}

export function parseProgressMode(value: string | undefined): ProgressMode {
  const mode = value ?? "auto";
  if (mode === "auto" || mode === "plain" || mode === "tty" || mode === "quiet") return mode;
  throw new UsageError(`--progress must be auto, plain, tty or quiet, not "${mode}"`);
}

interface StepState {
  number: number;
  name: string;
  cached: boolean;
  started?: number;
  completed?: number;
  error?: string;
  lastLog?: string;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** A sink writing to `out` in the given mode (`auto`: live when `out` is a TTY). */
export function createProgress(mode: ProgressMode, out: NodeJS.WritableStream): ProgressSink {
  if (mode === "quiet") return { trace() {}, text() {}, close() {} };
  const live = mode === "tty" || (mode === "auto" && (out as NodeJS.WriteStream).isTTY === true);
  const steps = new Map<string, StepState>();
  const started = Date.now();

  const step = (digest: string, name: string): StepState => {
    let state = steps.get(digest);
    if (!state) {
      state = { number: steps.size + 1, name, cached: false };
      steps.set(digest, state);
    }
    return state;
  };

  if (!live) {
    return {
      trace(update) {
        for (const vertex of update.vertexes) {
          const known = steps.has(vertex.digest);
          const state = step(vertex.digest, vertex.name);
          if (!known) out.write(`#${state.number} ${vertex.name}\n`);
          if (vertex.cached && !state.cached) {
            state.cached = true;
            out.write(`#${state.number} CACHED\n`);
          }
          if (vertex.error && !state.error) {
            state.error = vertex.error;
            out.write(`#${state.number} ERROR: ${vertex.error}\n`);
          } else if (vertex.completed && !state.completed && !vertex.cached) {
            state.completed = vertex.completed;
            out.write(`#${state.number} DONE ${seconds(vertex.completed - (vertex.started ?? vertex.completed))}\n`);
          }
        }
        for (const entry of update.logs) {
          const state = steps.get(entry.vertex);
          for (const line of entry.message.split(/\r?\n|\r/)) {
            if (line.trim()) out.write(`#${state?.number ?? "?"} ${line}\n`);
          }
        }
      },
      text(chunk) {
        out.write(chunk);
      },
      close() {},
    };
  }

  let drawnLines = 0;
  let timer: NodeJS.Timeout | undefined;
  const columns = () => (out as NodeJS.WriteStream).columns ?? 100;
  const draw = () => {
    timer = undefined;
    const width = columns() - 1;
    const lines = [`Building ${seconds(Date.now() - started)}`];
    for (const state of steps.values()) {
      const status = state.error
        ? "ERROR"
        : state.cached
          ? "CACHED"
          : state.completed
            ? `${seconds(state.completed - (state.started ?? state.completed))}`
            : state.started
              ? `${seconds(Date.now() - state.started)}`
              : "";
      lines.push(` => ${state.name}`.slice(0, width - status.length - 1).padEnd(width - status.length) + status);
      if (state.started && !state.completed && state.lastLog) lines.push(`    ${state.lastLog}`.slice(0, width));
    }
    const up = drawnLines > 0 ? `\x1b[${drawnLines}F` : "";
    out.write(`${up}${lines.map((line) => `\x1b[2K${line}`).join("\n")}\n`);
    drawnLines = lines.length;
  };
  const schedule = () => {
    timer ??= setTimeout(draw, 100);
  };
  return {
    trace(update) {
      for (const vertex of update.vertexes) {
        const state = step(vertex.digest, vertex.name);
        state.cached ||= vertex.cached;
        state.started ??= vertex.started;
        state.completed ??= vertex.completed;
        state.error ??= vertex.error;
      }
      for (const entry of update.logs) {
        const state = steps.get(entry.vertex);
        const last = entry.message
          .split(/\r?\n|\r/)
          .filter((line) => line.trim())
          .at(-1);
        if (state && last) state.lastLog = last;
      }
      schedule();
    },
    text(chunk) {
      out.write(chunk);
      drawnLines = 0;
    },
    close() {
      if (timer) clearTimeout(timer);
      draw();
    },
  };
}
