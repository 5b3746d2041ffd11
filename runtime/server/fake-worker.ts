/**
 * An in-process stand-in for the worker supervisor, so that routes and admission are tested without a child
 * process (routes.test.ts, service.test.ts). It remembers what it was sent; the test decides when and how each
 * prediction ends, or `autoAnswer` ends every prediction inside `predict()` (the sync hot path). Test-only:
 * tsconfig.build.json leaves it out of dist/ and so out of the package.
 */
import type { PredictionWorker } from "./service.js";
import type { PredictionSink, SetupInfo, WorkerState } from "./worker-process.js";
import type { ToWorker } from "../protocol/index.js";

type PredictMessage = Extract<ToWorker, { type: "predict" }>;

export class FakeWorker implements PredictionWorker {
  state: WorkerState = "ready";
  setup: SetupInfo = { status: "succeeded", logs: "" };
  readonly sinks = new Map<string, PredictionSink>();
  readonly sent: PredictMessage[] = [];
  readonly canceled: string[] = [];
  /** What the user healthcheck() answers (undefined: healthy). */
  healthError?: string;
  healthchecks = 0;
  stopped = false;
  /** When set, every prediction ends inside predict() with this output. */
  autoAnswer?: (message: PredictMessage) => unknown;

  predict(id: string, message: PredictMessage, sink: PredictionSink): void {
    this.sinks.set(id, sink);
    this.sent.push(message);
    if (this.autoAnswer) this.succeed(id, this.autoAnswer(message));
  }

  cancel(id: string): void {
    this.canceled.push(id);
  }

  healthcheck(): Promise<string | undefined> {
    this.healthchecks++;
    return Promise.resolve(this.healthError);
  }

  stop(): void {
    this.stopped = true;
  }

  succeed(id: string, output: unknown): void {
    const sink = this.take(id);
    sink.onOutput(output, false);
    sink.onDone("succeeded", undefined, false);
  }

  end(id: string, status: "failed" | "canceled", error?: string): void {
    this.take(id).onDone(status, error, false);
  }

  /** A streaming predictor's chunk. */
  chunk(id: string, value: unknown): void {
    this.sinks.get(id)!.onOutput(value, true);
  }

  private take(id: string): PredictionSink {
    const sink = this.sinks.get(id);
    if (!sink) throw new Error(`no prediction ${id} was sent to the fake worker`);
    this.sinks.delete(id);
    return sink;
  }
}
