/**
 * The prediction service: admits predictions (typed refusals, as coglet's CreatePredictionError), runs them in the
 * worker (after input-run.ts has fetched their input files), cancels them and reports health. It knows nothing of HTTP beyond the error
 * catalogue; routes.ts turns requests into calls here. The worker is the narrow PredictionWorker below, which the
 * WorkerSupervisor (worker-process.ts) is and a unit test can fake.
 */
import type { IncomingHttpHeaders } from "node:http";
import { mkdtemp, writeFile } from "node:fs/promises";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Prediction } from "./prediction.js";
import type { PredictionSink, SetupInfo, WorkerState } from "./worker-process.js";
import { attachWebhook, WEBHOOK_EVENTS, type WebhookEvent } from "./webhook.js";
import type { DownloadLimits } from "./files.js";
import { hasInputFiles, runWithInputFiles, type InputFileRun } from "./input-run.js";
import { removeOutputFiles, resolveOutputFiles } from "./output-files.js";
import type { ToWorker, WorkerOptions } from "../protocol/index.js";
import type { InputValidator } from "../validate.js";
import { httpErrors, type ErrorReply } from "./errors.js";
import { bodySize, newId, type RequestBody } from "./request.js";
import { quote } from "./limits.js";

export type Kind = "predictions" | "trainings";
type PredictMessage = Extract<ToWorker, { type: "predict" }>;

/** What the service needs of the worker: the WorkerSupervisor, or a fake in unit tests. */
export interface PredictionWorker {
  readonly state: WorkerState;
  readonly setup: SetupInfo;
  predict(id: string, message: PredictMessage, sink: PredictionSink): void;
  cancel(id: string): void;
  /** Resolves to the user healthcheck()'s error, or undefined when healthy (or there is none). */
  healthcheck(): Promise<string | undefined>;
  stop(): void;
}

export interface ServiceSettings {
  mode: "predict" | "train";
  uploadUrl?: string;
  worker: Pick<WorkerOptions, "parameters" | "outputDir">;
  maxConcurrency: number;
  throttle: number;
  webhookRetryBaseMs: number;
  webhookAuthToken?: string;
  historyCapacity: number;
  download: DownloadLimits;
  version: string;
}

const INPUT_SPILL_BYTES = 6 * 1024 * 1024;
/** Above this, an input is validated to its first problem only: listing every problem of a huge input is a huge 422. */
const FULL_VALIDATION_BYTES = 64 * 1024;

/** A prediction admitted and not yet ended. */
export interface Running {
  prediction: Prediction;
  /** Size of the request body: an input from a body smaller than the spill limit is sent inline. */
  bodyBytes: number;
  cancelRequested: boolean;
  sentToWorker: boolean;
  /** Set while input files download, so a cancel can stop them. */
  downloads?: AbortController;
  kind: Kind;
  context?: Record<string, string>;
}

/** Why a prediction was not created: a code of the error catalogue with its answer. */
type CreatePredictionError = ErrorReply<
  "notReady" | "atCapacity" | "duplicateId" | "idMismatch" | "invalidInput" | "wrongMode"
>;

export type Admission =
  | { outcome: "refused"; error: CreatePredictionError }
  /** An idempotent PUT of an id still running: its state, nothing new started. */
  | { outcome: "existing"; prediction: Prediction }
  | { outcome: "created"; entry: Running };

export interface AdmitRequest {
  kind: Kind;
  body: RequestBody;
  /** The id of `PUT /predictions/{id}`. */
  pathId?: string;
  /** Request headers passed on to webhooks (W3C trace context). */
  headers: IncomingHttpHeaders;
}

/** Writes an input too large to send inline to a file of its own, which the worker reads and removes. */
async function spillInput(input: Record<string, unknown>): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), "cogts-spill-")), "input.json");
  await writeFile(file, JSON.stringify(input));
  return file;
}

export class PredictionService {
  readonly running = new Map<string, Running>();
  private validators: Partial<Record<Kind, InputValidator>> = {};
  private readonly secretNames: string[];
  /** Directories of downloaded input files of predictions still running; a shutdown removes what is left. */
  private readonly inputDirs = new Set<string>();
  /** False once a shutdown began: new predictions are refused as before setup, running ones finish. */
  private admitting = true;
  /** Predictions admitted whose `run` has not called its `ended` yet (their sync answer is not written). */
  private active = 0;
  private readonly idleWaiters: (() => void)[] = [];
  /** Terminal webhooks not yet delivered (or given up): a drain waits for them before the process exits. */
  private readonly webhooks = new Set<Promise<void>>();
  /** What input-run.ts needs of the service to run a prediction whose input holds files. */
  private readonly inputFileRun: InputFileRun;

  constructor(
    private readonly settings: ServiceSettings,
    readonly worker: PredictionWorker,
  ) {
    this.secretNames = settings.worker.parameters.filter((p) => p.kind === "secret").map((p) => p.name);
    this.inputFileRun = {
      parameters: settings.worker.parameters,
      download: settings.download,
      inputDirs: this.inputDirs,
      finish: (entry, status, fields) => this.finish(entry, status, fields),
      runInWorker: (entry, input, finished) => this.runInWorker(entry, input, finished),
      release: (entry) => this.running.delete(entry.prediction.id),
    };
  }

  get ready(): boolean {
    return this.worker.state === "ready";
  }

  setValidator(kind: Kind, validator: InputValidator): void {
    this.validators[kind] = validator;
  }

  /** Validates a parsed request and, when it may run, registers its prediction (started by `run`). */
  admit(request: AdmitRequest): Admission {
    const { kind, body, pathId } = request;
    if (pathId !== undefined && typeof body.id === "string" && body.id !== pathId) {
      return { outcome: "refused", error: httpErrors.idMismatch(kind === "trainings" ? "training" : "prediction") };
    }
    const served: Kind = this.settings.mode === "train" ? "trainings" : "predictions";
    if (kind !== served) {
      const flag = kind === "trainings" ? "--x-mode train" : "--x-mode predict";
      return { outcome: "refused", error: httpErrors.wrongMode(served, kind, flag) };
    }
    let input: Record<string, unknown>;
    const rawInput = body.input ?? {};
    const validator = this.validators[kind];
    const bodyBytes = bodySize(body);
    if (validator) {
      const result = validator(rawInput, bodyBytes > FULL_VALIDATION_BYTES);
      if (!result.ok) return { outcome: "refused", error: httpErrors.invalidInput(result.detail) };
      input = result.input;
    } else if (typeof rawInput === "object" && !Array.isArray(rawInput)) {
      input = rawInput as Record<string, unknown>;
    } else {
      const detail = [
        { loc: ["body", "input", "__root__"], msg: `${quote(rawInput)} is not of type "object"`, type: "value_error" },
      ];
      return { outcome: "refused", error: httpErrors.invalidInput(detail) };
    }
    // An idempotent PUT of a prediction still running answers with its state, but only for valid input (§4.4: validation comes first).
    const existing = pathId === undefined ? undefined : this.running.get(pathId);
    if (existing) return { outcome: "existing", prediction: existing.prediction };
    if (!this.ready || !this.admitting) return { outcome: "refused", error: httpErrors.notReady() };
    if (this.running.size >= this.settings.maxConcurrency)
      return { outcome: "refused", error: httpErrors.atCapacity() };
    const id = pathId ?? (typeof body.id === "string" ? body.id : newId());
    if (this.running.has(id)) return { outcome: "refused", error: httpErrors.duplicateId(id) };

    const prediction = new Prediction(id, input, this.secretNames, this.settings.historyCapacity);
    const context = (body.context ?? undefined) as Record<string, string> | undefined;
    const entry: Running = { prediction, bodyBytes, cancelRequested: false, sentToWorker: false, kind, context };
    this.running.set(id, entry);
    this.active++;
    if (typeof body.webhook === "string") this.attachWebhook(prediction, body, request.headers);
    return { outcome: "created", entry };
  }

  private attachWebhook(prediction: Prediction, body: RequestBody, requestHeaders: IncomingHttpHeaders): void {
    const filter = Array.isArray(body.webhook_events_filter)
      ? (body.webhook_events_filter as WebhookEvent[])
      : WEBHOOK_EVENTS;
    const headers: Record<string, string> = {};
    if (this.settings.webhookAuthToken) headers.authorization = `Bearer ${this.settings.webhookAuthToken}`;
    for (const name of ["traceparent", "tracestate"]) {
      const value = requestHeaders[name];
      if (typeof value === "string") headers[name] = value;
    }
    const delivered = attachWebhook(prediction, {
      url: body.webhook as string,
      events: new Set(filter),
      throttle: this.settings.throttle,
      headers,
      userAgent: `cogts/${this.settings.version}`,
      retryBaseMs: this.settings.webhookRetryBaseMs,
    });
    this.webhooks.add(delivered);
    void delivered.finally(() => this.webhooks.delete(delivered));
  }

  /**
   * Runs an admitted prediction to its end, then frees its slot and calls `ended` (which answers a sync request),
   * with the reason when an input file was refused (not one that could not be downloaded: that prediction simply
   * failed). Without input files nothing here awaits: the worker's "done" message calls `ended` in the same tick.
   */
  run(entry: Running, ended: (refusedInputFile?: string) => void): void {
    const { prediction } = entry;
    const settled = (refusedInputFile?: string) => {
      try {
        ended(refusedInputFile);
      } finally {
        if (--this.active === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      }
    };
    const input = prediction.input;
    if (hasInputFiles(this.settings.worker.parameters, input)) {
      void runWithInputFiles(entry, this.inputFileRun).then(settled);
      return;
    }
    const end = () => {
      this.running.delete(prediction.id);
      settled();
    };
    try {
      prediction.start();
      this.runInWorker(entry, input, end);
    } catch (error) {
      this.finish(entry, "failed", { error: (error as Error).message });
      end();
    }
  }

  /**
   * Ends a prediction. Once a cancel was asked for, the end is `canceled` whatever the predictor did (Cog 0.22):
   * one that ignores its signal and returns, or fails, within the grace period does not turn a cancel into a success.
   */
  private finish(
    entry: Running,
    status: "succeeded" | "failed" | "canceled",
    fields?: { output?: unknown; error?: string },
  ): void {
    if (entry.cancelRequested) entry.prediction.finish("canceled");
    else entry.prediction.finish(status, fields);
  }

  /** Sends the prediction to the worker and follows it to its end; calls `finished` once it is terminal. */
  private runInWorker(entry: Running, input: Record<string, unknown>, finished: () => void): void {
    const { prediction, context } = entry;
    const options = {
      uploadUrl: this.settings.uploadUrl,
      predictionId: prediction.id,
      outputRoot: this.settings.worker.outputDir,
    };
    // Outputs that hold files are resolved (read, uploaded) in order through this chain; plain outputs, the usual
    // case, are taken at once so that nothing stands between the worker's "done" and the response.
    let outputs: Promise<void> | undefined;
    let outputError: string | undefined;
    let finalOutput: unknown;
    const sink: PredictionSink = {
      onLog: (source, data) => prediction.appendLog(source, data),
      onMetric: (name, value, mode) => prediction.recordMetric(name, value, mode),
      onOutput: (value, chunk, files) => {
        if (outputs === undefined && files === undefined) {
          if (chunk) prediction.appendChunk(value);
          else finalOutput = value;
          return;
        }
        outputs = (outputs ?? Promise.resolve()).then(async () => {
          if (outputError) return;
          try {
            const resolved = files !== undefined ? await resolveOutputFiles(value, files, options) : value;
            if (chunk) prediction.appendChunk(resolved);
            else finalOutput = resolved;
          } catch (error) {
            outputError = (error as Error).message;
          }
        });
      },
      onDone: (status, error, iterator) => {
        // A streaming predictor that yielded nothing answers [] (Cog), not null.
        if (iterator) prediction.iterator = true;
        const finish = () => {
          if (status === "succeeded" && outputError) this.finish(entry, "failed", { error: outputError });
          else if (status === "succeeded") this.finish(entry, "succeeded", { output: finalOutput });
          else this.finish(entry, status, { error });
          finished();
        };
        if (outputs) void outputs.then(() => removeOutputFiles(options)).then(finish);
        else finish();
      },
    };
    const send = (message: PredictMessage) => {
      entry.sentToWorker = true;
      this.worker.predict(prediction.id, message, sink);
      if (entry.cancelRequested) this.worker.cancel(prediction.id);
    };
    // Downloaded files only shorten the input (URLs become paths), so the body size bounds it.
    if (entry.bodyBytes <= INPUT_SPILL_BYTES) return send({ type: "predict", id: prediction.id, input, context });
    void spillInput(input).then(
      (inputFile) => send({ type: "predict", id: prediction.id, inputFile, context }),
      (error: Error) => {
        this.finish(entry, "failed", { error: `cannot write the input to a file for the worker: ${error.message}` });
        finished();
      },
    );
  }

  /** Asks a running prediction to stop: its downloads are aborted, the worker is told. */
  cancel(entry: Running): void {
    entry.cancelRequested = true;
    entry.downloads?.abort();
    if (entry.sentToWorker) this.worker.cancel(entry.prediction.id);
  }

  /** `POST /predictions/{id}/cancel`: false when the id is unknown or already ended. */
  cancelById(id: string): boolean {
    const entry = this.running.get(id);
    if (!entry || entry.prediction.terminal) return false;
    this.cancel(entry);
    return true;
  }

  /** The body of GET /health-check (docs/spec/cog-contract.md §4.2). */
  async health(): Promise<Record<string, unknown>> {
    const worker = this.worker;
    let status: string;
    let userError: string | undefined;
    if (worker.state === "setup_failed") status = "SETUP_FAILED";
    else if (!this.ready) status = "STARTING";
    else {
      // Cog 0.22 runs the user healthcheck() while busy too, and an unhealthy model is UNHEALTHY even when busy.
      const busy = this.running.size >= this.settings.maxConcurrency;
      userError = await worker.healthcheck();
      status = userError ? "UNHEALTHY" : busy ? "BUSY" : "READY";
    }
    const setup: Record<string, unknown> = {};
    if (worker.setup.started_at) setup.started_at = worker.setup.started_at;
    if (worker.setup.completed_at) setup.completed_at = worker.setup.completed_at;
    if (worker.setup.status) setup.status = worker.setup.status;
    setup.logs = worker.setup.logs;
    const body: Record<string, unknown> = {
      status,
      setup,
      version: { coglet: this.settings.version, cogts: this.settings.version },
    };
    if (userError) body.user_healthcheck_error = userError;
    return body;
  }

  /** From now on new predictions are refused with notReady (503), as before setup; running ones go on. */
  stopAdmitting(): void {
    this.admitting = false;
  }

  get isAdmitting(): boolean {
    return this.admitting;
  }

  /** Asks every running prediction to stop. */
  cancelAll(): void {
    for (const entry of this.running.values()) this.cancel(entry);
  }

  /** Settles once no admitted prediction is left unanswered (each one's `ended` has run). */
  drained(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Settles once the terminal webhooks of ended predictions are delivered or given up, or after `timeoutMs`:
   * a receiver that keeps failing would otherwise hold the exit through all of its retries.
   */
  async webhooksDelivered(timeoutMs: number): Promise<void> {
    if (this.webhooks.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.webhooks]),
      new Promise((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  /** Stops the worker for good and removes input files a prediction left (one that outlived a bounded wait). */
  stop(): void {
    this.worker.stop();
    for (const directory of this.inputDirs) rmSync(directory, { recursive: true, force: true });
  }
}
