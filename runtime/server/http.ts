/**
 * Cog's HTTP prediction API (cog-contract.md §4) on node:http. Model code never runs here: the worker
 * supervisor does that in a child process, so this process always answers health checks and cancels.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Prediction, type PredictionEvent } from "./prediction.js";
import { WorkerSupervisor, type PredictionSink } from "./worker-process.js";
import { attachWebhook, WEBHOOK_EVENTS, type WebhookEvent } from "./webhook.js";
import { fetchInputFiles, InputFileError, type DownloadLimits } from "./files.js";
import { removeOutputFiles, resolveOutputFiles } from "./output-files.js";
import type { ToWorker, WorkerOptions } from "./protocol.js";
import type { InputValidator, ValidationDetail } from "../validate.js";
import { log } from "./log.js";

export interface ServerSettings {
  host: string;
  port: number;
  mode: "predict" | "train";
  uploadUrl?: string;
  awaitExplicitShutdown: boolean;
  /** The OpenAPI document (undefined when the schema file is missing: /openapi.json answers 503). */
  openapi?: Record<string, unknown>;
  worker: WorkerOptions;
  cwd: string;
  maxConcurrency: number;
  setupTimeout: number;
  cancelGrace: number;
  healthcheckTimeout: number;
  throttle: number;
  webhookRetryBaseMs: number;
  webhookAuthToken?: string;
  historyCapacity: number;
  download: DownloadLimits;
  /** File created when the worker is first ready, under Kubernetes. */
  readyFile?: string;
  version: string;
  /** A supervisor the entry point already started (so the worker boots while this module loads). */
  supervisor?: WorkerSupervisor;
  /** Called after a shutdown finished; the process entry point exits. */
  onShutdown: () => void;
}

const BODY_LIMIT = 100 * 1024 * 1024;
const INPUT_SPILL_BYTES = 6 * 1024 * 1024;
const BODY_SIZE = Symbol("bodySize");
const TOO_LARGE = { error: `request body is larger than ${BODY_LIMIT} bytes` };
const MAX_SUBSCRIBERS = 1024;

type Kind = "predictions" | "trainings";

/** The request fields besides `input` that have a shape to check (422 `detail` entries when wrong). */
const REQUEST_FIELD_CHECKS: { key: string; ok: (value: unknown) => boolean; msg: string }[] = [
  { key: "id", ok: (v) => typeof v === "string" && v.length > 0 && v.length <= 1024, msg: "id must be a non-empty string" },
  { key: "webhook", ok: (v) => typeof v === "string" && /^https?:\/\//i.test(v) && v.length <= 65536, msg: "webhook must be an http(s) URL" },
  {
    key: "webhook_events_filter",
    ok: (v) => Array.isArray(v) && v.every((e) => WEBHOOK_EVENTS.includes(e as WebhookEvent)),
    msg: `webhook_events_filter must be a list of ${WEBHOOK_EVENTS.join(", ")}`,
  },
  {
    key: "context",
    ok: (v) => typeof v === "object" && !Array.isArray(v) && Object.values(v as object).every((item) => typeof item === "string"),
    msg: "context must be an object of strings",
  },
];

/** JSON nested deeper than this is refused: serialising it again would overflow the stack. */
const MAX_NESTING = 512;

function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== "object") continue;
    if (depth > deepest) deepest = depth;
    if (deepest > MAX_NESTING) return deepest;
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

interface Running {
  prediction: Prediction;
  /** Size of the request body: an input from a body smaller than the spill limit is sent inline. */
  bodyBytes: number;
  cancelRequested: boolean;
  sentToWorker: boolean;
  /** Set while input files download, so a cancel can stop them. */
  downloads?: AbortController;
  kind: Kind;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  const head: Record<string, string | number> = { "content-type": "application/json", "content-length": Buffer.byteLength(text) };
  if (headers) Object.assign(head, headers);
  // writeHead + a string end() leave in one write: node:http prepends the header block to a string body.
  res.writeHead(status, head);
  res.end(text);
}

type PredictMessage = Extract<ToWorker, { type: "predict" }>;

/** Writes an input too large to send inline to a file of its own, which the worker reads and removes. */
async function spillInput(input: Record<string, unknown>): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), "cogts-spill-")), "input.json");
  await writeFile(file, JSON.stringify(input));
  return file;
}

let lastIdNanos = 0n;
function newId(): string {
  let nanos = BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor((performance.now() % 1) * 1_000_000));
  if (nanos <= lastIdNanos) nanos = lastIdNanos + 1n;
  lastIdNanos = nanos;
  return `pred_${nanos.toString(16)}`;
}

/** The prediction server; `start()` listens and launches the worker. */
export class PredictionServer {
  readonly http: Server;
  readonly supervisor: WorkerSupervisor;
  private validators: Partial<Record<Kind, InputValidator>> = {};
  /** Settles once the input validators are compiled; requests wait for it, READY does not. */
  private validatorsCompiled: Promise<void> = Promise.resolve();
  private validatorsDone = false;
  private readonly running = new Map<string, Running>();
  private readonly secretNames: string[];
  private shuttingDown = false;
  private readyFileWritten = false;

  constructor(private readonly settings: ServerSettings) {
    this.secretNames = settings.worker.parameters.filter((p) => p.kind === "secret").map((p) => p.name);
    this.supervisor =
      settings.supervisor ??
      new WorkerSupervisor({
        worker: settings.worker,
        setupTimeout: settings.setupTimeout,
        cancelGrace: settings.cancelGrace,
        healthcheckTimeout: settings.healthcheckTimeout,
        cwd: settings.cwd,
        env: process.env,
      });
    this.supervisor.onStateChange((state) => {
      if (state === "ready") this.writeReadyFile();
    });
    this.http = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.guarded(req, res, () => this.route(req, res)));
    this.http.on("clientError", (_error, socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
      else socket.destroy();
    });
  }

  async start(): Promise<number> {
    if (!this.supervisor.started) this.supervisor.start();
    await new Promise<void>((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(this.settings.port, this.settings.host, () => resolve());
    });
    // ajv is loaded while the worker runs setup, and READY does not wait for it: the first request does.
    this.validatorsCompiled = this.compileValidators().finally(() => (this.validatorsDone = true));
    const address = this.http.address();
    return typeof address === "object" && address ? address.port : this.settings.port;
  }

  private async compileValidators(): Promise<void> {
    try {
      const schemas = (this.settings.openapi?.components as { schemas?: Record<string, unknown> } | undefined)?.schemas;
      if (schemas) {
        const { compileInputValidator } = await import("../validate.js");
        if (schemas.Input) this.validators.predictions = compileInputValidator(this.settings.openapi, "Input");
        if (schemas.TrainingInput) this.validators.trainings = compileInputValidator(this.settings.openapi, "TrainingInput");
      }
    } catch (error) {
      log("error", `cannot compile the input schema: ${(error as Error).message}`);
    }
  }

  private get ready(): boolean {
    return this.supervisor.state === "ready";
  }

  private writeReadyFile(): void {
    if (this.readyFileWritten || !this.settings.readyFile) return;
    this.readyFileWritten = true;
    try {
      mkdirSync(dirname(this.settings.readyFile), { recursive: true });
      writeFileSync(this.settings.readyFile, "");
    } catch (error) {
      log("error", `cannot write ${this.settings.readyFile}: ${(error as Error).message}`);
    }
  }

  private get trainable(): boolean {
    const schemas = (this.settings.openapi?.components as { schemas?: Record<string, unknown> } | undefined)?.schemas;
    return Boolean(schemas?.TrainingInput) || this.settings.mode === "train";
  }

  /**
   * Runs one step of handling a request: an HttpError it throws (or rejects with) becomes the response, anything
   * else a logged 500. Steps that run in callbacks (after the body is read, after the worker answers) go through
   * here too, so that no error escapes to the event loop.
   */
  private guarded(req: IncomingMessage, res: ServerResponse, step: () => void | Promise<void>): void {
    const failed = (error: unknown) => {
      if (error instanceof HttpError) return json(res, error.status, error.body);
      log("error", "request failed", { method: req.method, path: req.url, error: (error as Error).stack ?? String(error) });
      json(res, 500, { error: "internal server error" });
    };
    try {
      step()?.catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The hot path, exactly as the general routing below would take it.
    if (req.method === "POST" && req.url === "/predictions") return this.create(req, res, "predictions");
    const url = req.url ?? "/";
    const path = url.split("?")[0]!.replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";
    const match = /^\/(predictions|trainings)(?:\/([^/]+)(\/cancel)?)?$/.exec(path);
    const allow = (...methods: string[]) => {
      if (methods.includes(method)) return true;
      req.resume();
      // RFC 9110 §15.5.6: a 405 names the methods the path does take.
      json(res, 405, { detail: "Method Not Allowed" }, { allow: methods.join(", ") });
      return false;
    };
    if (path === "/") {
      if (allow("GET")) json(res, 200, this.indexDocument());
    } else if (path === "/health-check") {
      if (allow("GET")) json(res, 200, await this.health());
    } else if (path === "/openapi.json") {
      if (!allow("GET")) return;
      if (this.settings.openapi && this.ready) json(res, 200, this.settings.openapi);
      else json(res, 503, { error: "OpenAPI schema not available" });
    } else if (path === "/shutdown") {
      if (!allow("POST")) return;
      req.resume();
      json(res, 200, {});
      res.on("finish", () => void this.shutdown());
    } else if (match) {
      const kind = match[1] as Kind;
      let id: string | undefined;
      try {
        id = match[2] ? decodeURIComponent(match[2]) : undefined;
      } catch {
        req.resume();
        return json(res, 400, { error: "invalid percent-encoding in the prediction id" });
      }
      if (match[3]) {
        if (allow("POST")) this.cancelRequest(req, res, id!);
      } else if (id === undefined) {
        if (allow("POST")) this.create(req, res, kind);
      } else if (allow("PUT")) {
        this.create(req, res, kind, id);
      }
    } else {
      req.resume();
      json(res, 404, { detail: "Not Found" });
    }
  }

  private indexDocument(): Record<string, string> {
    const doc: Record<string, string> = {
      cog_version: this.settings.version,
      docs_url: "/docs",
      openapi_url: "/openapi.json",
      shutdown_url: "/shutdown",
      healthcheck_url: "/health-check",
      predictions_url: "/predictions",
      predictions_idempotent_url: "/predictions/{prediction_id}",
      predictions_cancel_url: "/predictions/{prediction_id}/cancel",
    };
    if (this.trainable) {
      doc.trainings_url = "/trainings";
      doc.trainings_idempotent_url = "/trainings/{training_id}";
      doc.trainings_cancel_url = "/trainings/{training_id}/cancel";
    }
    return doc;
  }

  private async health(): Promise<Record<string, unknown>> {
    const worker = this.supervisor;
    let status: string;
    let userError: string | undefined;
    if (worker.state === "setup_failed") status = "SETUP_FAILED";
    else if (!this.ready) status = "STARTING";
    else if (this.running.size >= this.settings.maxConcurrency) status = "BUSY";
    else {
      status = "READY";
      userError = await worker.healthcheck();
      if (userError) status = "UNHEALTHY";
    }
    const setup: Record<string, unknown> = {};
    if (worker.setup.started_at) setup.started_at = worker.setup.started_at;
    if (worker.setup.completed_at) setup.completed_at = worker.setup.completed_at;
    if (worker.setup.status) setup.status = worker.setup.status;
    setup.logs = worker.setup.logs;
    const body: Record<string, unknown> = { status, setup, version: { coglet: this.settings.version, cogts: this.settings.version } };
    if (userError) body.user_healthcheck_error = userError;
    return body;
  }

  /** Reads the whole request body, then calls `done` (in a guarded step) with it; a body over the limit gets a 413. */
  private readBody(req: IncomingMessage, res: ServerResponse, done: (raw: Buffer) => void | Promise<void>): void {
    if (Number(req.headers["content-length"] ?? "0") > BODY_LIMIT) {
      req.resume();
      throw new HttpError(413, TOO_LARGE);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        req.removeAllListeners("data");
        req.removeAllListeners("end");
        req.resume();
        return json(res, 413, TOO_LARGE);
      }
      chunks.push(chunk);
    });
    req.on("end", () => this.guarded(req, res, () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))));
    // A client that goes away mid-body gets no answer; its socket is already closed.
    req.on("error", () => undefined);
  }

  private parseRequest(raw: Buffer): Record<string, unknown> {
    const text = raw.toString("utf8").trim();
    if (text === "") return {};
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new HttpError(400, { error: `invalid JSON in request body: ${(error as Error).message}` });
    }
    if (body === null) return {};
    // Each level takes an opening and a closing bracket, so only a long body can be nested too deeply.
    if (text.length > 2 * MAX_NESTING && nestingDepth(body) > MAX_NESTING) {
      throw new HttpError(422, { detail: [{ loc: ["body"], msg: `the request body is nested deeper than ${MAX_NESTING} levels`, type: "value_error" }] });
    }
    if (typeof body !== "object" || Array.isArray(body)) {
      throw new HttpError(422, { detail: [{ loc: ["body"], msg: "the request body must be a JSON object", type: "value_error" }] });
    }
    const object = body as Record<string | symbol, unknown>;
    object[BODY_SIZE] = raw.length;
    const problems: ValidationDetail[] = [];
    for (const { key, ok, msg } of REQUEST_FIELD_CHECKS) {
      const value = object[key];
      if (value !== undefined && value !== null && !ok(value)) problems.push({ loc: ["body", key], msg, type: "value_error" });
    }
    if (problems.length > 0) throw new HttpError(422, { detail: problems });
    return object;
  }

  private wantsSse(req: IncomingMessage): boolean {
    return String(req.headers.accept ?? "").includes("text/event-stream");
  }

  private streamingEnabled(): boolean {
    const paths = this.settings.openapi?.paths as Record<string, { post?: Record<string, unknown> }> | undefined;
    return paths?.["/predictions"]?.post?.["x-cog-streaming"] === true;
  }

  /**
   * POST or PUT of a prediction (or training). The common case (no input files, a small body) runs without a
   * promise from the request to its response: the body's end event admits the prediction, the worker's "done"
   * message answers it (a chain of seven awaits before: 2-6% of the 4-client throughput, within run-to-run noise
   * alone, but it also let the answer leave as soon as "done" is read).
   */
  private create(req: IncomingMessage, res: ServerResponse, kind: Kind, pathId?: string): void {
    const sse = this.wantsSse(req);
    if (sse && kind === "trainings") {
      req.resume();
      return json(res, 406, { error: "Training endpoints do not support streaming responses." });
    }
    if (sse && !this.streamingEnabled()) {
      req.resume();
      return json(res, 406, { error: "This model does not support streaming responses. Make predict() an iterator (async *predict) to enable SSE." });
    }
    this.readBody(req, res, (raw) => {
      const body = this.parseRequest(raw);
      // The validators compile while setup runs; only a request that comes in before they are done waits.
      if (this.ready && !this.validatorsDone) {
        return this.validatorsCompiled.then(() => this.guarded(req, res, () => this.admit(req, res, kind, body, sse, pathId)));
      }
      this.admit(req, res, kind, body, sse, pathId);
    });
  }

  /** Validates a parsed request and starts its prediction, answering as its mode asks (sync, async or SSE). */
  private admit(req: IncomingMessage, res: ServerResponse, kind: Kind, body: Record<string, unknown>, sse: boolean, pathId?: string): void {
    if (pathId !== undefined) {
      if (typeof body.id === "string" && body.id !== pathId) {
        const noun = kind === "trainings" ? "training" : "prediction";
        return json(res, 422, { detail: [{ loc: ["body", "id"], msg: `${noun} ID must match the ID supplied in the URL`, type: "value_error" }] });
      }
    }
    const served: Kind = this.settings.mode === "train" ? "trainings" : "predictions";
    if (kind !== served) {
      const flag = kind === "trainings" ? "--x-mode train" : "--x-mode predict";
      return json(res, 404, { detail: `this server runs ${served}; start it with ${flag} to run ${kind}` });
    }

    let input: Record<string, unknown> = {};
    const rawInput = body.input ?? {};
    const validator = this.validators[kind];
    if (validator) {
      const result = validator(rawInput);
      if (!result.ok) return json(res, 422, { detail: result.detail });
      input = result.input;
    } else if (typeof rawInput === "object" && !Array.isArray(rawInput)) {
      input = rawInput as Record<string, unknown>;
    } else {
      return json(res, 422, { detail: [{ loc: ["body", "input", "__root__"], msg: `${JSON.stringify(rawInput)} is not of type "object"`, type: "value_error" }] });
    }
    // An idempotent PUT of a prediction still running answers with its state, but only for valid input (§4.4: validation comes first).
    const existing = pathId === undefined ? undefined : this.running.get(pathId);
    if (existing) {
      if (sse) return this.streamEvents(req, res, existing.prediction, true);
      return json(res, 202, existing.prediction.snapshot());
    }
    if (!this.ready) {
      return json(res, 503, { error: "Setup has not finished yet. Wait until it has finished, or GET /health-check for status.", status: "failed" });
    }
    if (this.running.size >= this.settings.maxConcurrency) {
      return json(res, 409, { error: "At capacity - all prediction slots busy", status: "failed" });
    }
    const id = pathId ?? (typeof body.id === "string" ? body.id : newId());
    if (this.running.has(id)) {
      return json(res, 409, { error: `a prediction with id ${JSON.stringify(id)} is already running`, status: "failed" });
    }
    const prediction = new Prediction(id, input, this.secretNames, this.settings.historyCapacity);
    const entry: Running = { prediction, bodyBytes: (body as { [BODY_SIZE]?: number })[BODY_SIZE] ?? 0, cancelRequested: false, sentToWorker: false, kind };
    this.running.set(id, entry);
    if (typeof body.webhook === "string") {
      const filter = Array.isArray(body.webhook_events_filter) ? (body.webhook_events_filter as WebhookEvent[]) : WEBHOOK_EVENTS;
      const headers: Record<string, string> = {};
      if (this.settings.webhookAuthToken) headers.authorization = `Bearer ${this.settings.webhookAuthToken}`;
      for (const name of ["traceparent", "tracestate"]) {
        const value = req.headers[name];
        if (typeof value === "string") headers[name] = value;
      }
      void attachWebhook(prediction, {
        url: body.webhook,
        events: new Set(filter),
        throttle: this.settings.throttle,
        headers,
        userAgent: `cogts/${this.settings.version}`,
        retryBaseMs: this.settings.webhookRetryBaseMs,
      });
    }
    const context = (body.context ?? undefined) as Record<string, string> | undefined;
    const syncMode = !sse && req.headers.prefer !== "respond-async";
    if (syncMode) {
      res.on("close", () => {
        if (!res.writableFinished && !prediction.terminal) this.cancel(entry);
      });
    }
    this.run(entry, context, (inputError) => {
      if (!syncMode) return;
      if (inputError !== undefined) {
        return json(res, 422, { id, error: inputError, logs: prediction.logs, status: "failed", metrics: prediction.metrics, input: prediction.shownInput() });
      }
      json(res, 200, prediction.snapshot());
    });

    if (sse) {
      prediction.sseOwned = true;
      // Replay: the prediction may already have started while this response was being set up.
      return this.streamEvents(req, res, prediction, true);
    }
    if (!syncMode) {
      return json(res, 202, { id, status: "starting", input: prediction.shownInput(), created_at: prediction.created_at });
    }
  }

  /**
   * Runs a prediction to its end, then frees its slot and calls `ended`, with the reason when its input files
   * could not be fetched (the sync response is then a 422).
   */
  private run(entry: Running, context: Record<string, string> | undefined, ended: (inputError?: string) => void): void {
    const { prediction } = entry;
    const end = () => {
      this.running.delete(prediction.id);
      ended();
    };
    const input = prediction.input;
    if (this.settings.worker.parameters.some((p) => p.kind === "path" && Object.hasOwn(input, p.name) && input[p.name] !== undefined && input[p.name] !== null)) {
      void this.runWithInputFiles(entry, context).then(ended);
      return;
    }
    try {
      prediction.start();
      this.runInWorker(entry, input, context, () => end());
    } catch (error) {
      prediction.finish("failed", { error: (error as Error).message });
      end();
    }
  }

  /**
   * `run` for input with files: fetches them into a directory of this prediction's. Once the prediction ends its
   * slot is freed at once, and the directory is removed before the promise settles (and so before a sync answer).
   */
  private async runWithInputFiles(entry: Running, context: Record<string, string> | undefined): Promise<string | undefined> {
    const { prediction } = entry;
    let directory: string | undefined;
    try {
      directory = await mkdtemp(join(tmpdir(), "cogts-input-"));
      entry.downloads = new AbortController();
      let input: Record<string, unknown>;
      try {
        input = await fetchInputFiles(prediction.input, this.settings.worker.parameters, directory, this.settings.download, entry.downloads.signal);
      } catch (error) {
        if (!(error instanceof InputFileError)) throw error;
        if (entry.cancelRequested) {
          prediction.finish("canceled");
          return undefined;
        }
        prediction.finish("failed", { error: error.message });
        return error.message;
      }
      if (entry.cancelRequested) {
        prediction.finish("canceled");
        return undefined;
      }
      prediction.start();
      await new Promise<void>((resolve) => this.runInWorker(entry, input, context, resolve));
    } catch (error) {
      prediction.finish("failed", { error: (error as Error).message });
    } finally {
      this.running.delete(prediction.id);
      if (directory) await rm(directory, { recursive: true, force: true }).catch(() => undefined);
    }
    return undefined;
  }

  /** Sends the prediction to the worker and follows it to its end; calls `finished` once it is terminal. */
  private runInWorker(entry: Running, input: Record<string, unknown>, context: Record<string, string> | undefined, finished: () => void): void {
    const { prediction } = entry;
    const options = { uploadUrl: this.settings.uploadUrl, predictionId: prediction.id, outputRoot: this.settings.worker.outputDir };
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
          if (status === "succeeded" && outputError) prediction.finish("failed", { error: outputError });
          else if (status === "succeeded") prediction.finish("succeeded", { output: finalOutput });
          else prediction.finish(status, { error });
          finished();
        };
        if (outputs) void outputs.then(() => removeOutputFiles(options)).then(finish);
        else finish();
      },
    };
    const send = (message: PredictMessage) => {
      entry.sentToWorker = true;
      this.supervisor.predict(prediction.id, message, sink);
      if (entry.cancelRequested) this.supervisor.cancel(prediction.id);
    };
    // Downloaded files only shorten the input (URLs become paths), so the body size bounds it.
    if (entry.bodyBytes <= INPUT_SPILL_BYTES) return send({ type: "predict", id: prediction.id, input, context });
    void spillInput(input).then(
      (inputFile) => send({ type: "predict", id: prediction.id, inputFile, context }),
      (error: Error) => {
        prediction.finish("failed", { error: `cannot write the input to a file for the worker: ${error.message}` });
        finished();
      },
    );
  }

  private cancel(entry: Running): void {
    entry.cancelRequested = true;
    entry.downloads?.abort();
    if (entry.sentToWorker) this.supervisor.cancel(entry.prediction.id);
  }

  private cancelRequest(req: IncomingMessage, res: ServerResponse, id: string): void {
    req.resume();
    const entry = this.running.get(id);
    if (!entry || entry.prediction.terminal) return json(res, 404, {});
    this.cancel(entry);
    json(res, 200, {});
  }

  private streamEvents(req: IncomingMessage, res: ServerResponse, prediction: Prediction, replay: boolean): void {
    req.resume();
    if (prediction.subscribers >= MAX_SUBSCRIBERS) return json(res, 429, { error: "Too many stream subscribers" });
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const write = (name: string, data: unknown) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    // §4.7: a stream that cannot be whole says so in an `error` event and closes, rather than silently skipping.
    const fail = (error: string, skipped: number) => {
      write("error", { error, skipped });
      res.end();
    };
    if (replay && prediction.historyDropped > 0) {
      return fail("SSE stream replay truncated; events were dropped", prediction.historyDropped);
    }
    const onEvent = (event: PredictionEvent) => {
      switch (event.type) {
        case "start":
          return void write("start", { id: prediction.id, status: "processing" });
        case "output":
          return void write("output", { chunk: event.chunk, index: event.index });
        case "log":
          return void write("log", { source: event.source, data: event.data });
        case "metric":
          return void write("metric", { name: event.name, value: event.value, mode: event.mode });
        case "completed":
          write("completed", prediction.snapshot());
          res.end();
      }
    };
    if (replay) for (const event of prediction.history) onEvent(event);
    if (prediction.terminal) {
      if (!res.writableEnded) onEvent({ type: "completed" });
      return;
    }
    prediction.subscribers++;
    // A subscriber that does not read may hold this many events in its send buffer once the socket is full;
    // past that it has lagged: later events are counted, not buffered, and it hears how many it missed.
    const lagLimit = this.settings.historyCapacity > 0 ? this.settings.historyCapacity : 1024;
    let queuedWhileFull = 0;
    let skipped = 0;
    const unsubscribe = prediction.subscribe((event) => {
      if (res.writableEnded) return;
      if (!res.writableNeedDrain) queuedWhileFull = 0;
      else if (++queuedWhileFull > lagLimit) {
        if (skipped++ === 0) res.once("drain", () => fail("SSE stream lagged; events were dropped", skipped));
        return;
      }
      onEvent(event);
    });
    const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
    res.on("close", () => {
      clearInterval(keepAlive);
      unsubscribe();
      prediction.subscribers--;
      if (prediction.sseOwned && prediction.subscribers === 0 && !prediction.terminal) {
        const entry = this.running.get(prediction.id);
        if (entry) this.cancel(entry);
      }
    });
  }

  /** Stops accepting work, cancels what runs, stops the worker and closes the server. */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const entry of this.running.values()) this.cancel(entry);
    const waits = [...this.running.values()].map((e) => e.prediction.done);
    await Promise.race([Promise.allSettled(waits), new Promise((r) => setTimeout(r, 5000))]);
    this.supervisor.stop();
    this.http.close();
    this.http.closeAllConnections();
    this.settings.onShutdown();
  }
}
