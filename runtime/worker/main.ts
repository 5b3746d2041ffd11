/**
 * The worker child process: loads the predictor, runs setup() once, then runs predictions the server sends.
 * Everything the model does happens here, so a crash or a hang never takes the HTTP server down.
 */
import { readFileSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Path, Secret } from "../sdk/index.js";
import { runInScope, currentScope, setSoleScope, type MetricModeInput } from "../scope/index.js";
import {
  MessageChannel,
  outputDirName,
  type FromWorker,
  type ParameterPlan,
  type ToWorker,
  type WorkerOptions,
} from "../protocol/index.js";
import { checkMetricName, metricMode } from "./metrics.js";
import { OutputFiles, serialize } from "./outputs.js";

const options = JSON.parse(process.env.COGTS_WORKER_OPTIONS ?? "{}") as WorkerOptions;

// Writes to stdout and stderr finish before they return (Node queues them on a pipe otherwise): everything a
// prediction writes is then in the pipe before its "done" goes out, and the server reads it as that prediction's
// (see WorkerSupervisor.receive). Without this, a 1 MiB write just before predict() returned was mostly
// delivered after "done", into the next prediction's logs.
for (const stream of [process.stdout, process.stderr]) {
  (stream as unknown as { _handle?: { setBlocking?: (blocking: boolean) => void } })._handle?.setBlocking?.(true);
}

// fd 3 is the message channel to the server; when the server goes away, so does the worker, with every process
// the model started (the worker leads its own process group).
const socket = new Socket({ fd: 3, readable: true, writable: true });
socket.on("close", () => {
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    process.exit(0);
  }
});
const channel = new MessageChannel<FromWorker, ToWorker>(socket, onMessage);

function send(message: FromWorker): void {
  channel.send(message);
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/**
 * One running prediction's cancellation state. The AbortController behind `signal` is made only when the predictor
 * reads it: most never do, and making one costs more than the rest of an echo prediction's bookkeeping.
 */
class Running {
  canceled = false;
  /** The predictor returned an iterator (set before its chunks flow, so a failure midway still says so). */
  iterator = false;
  private controller?: AbortController;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.canceled) this.controller.abort(new Error("prediction canceled"));
    }
    return this.controller.signal;
  }

  cancel(): void {
    if (this.canceled) return;
    this.canceled = true;
    this.controller?.abort(new Error("prediction canceled"));
  }
}
const running = new Map<string, Running>();

/**
 * What `currentScope()` gives the predictor during one prediction. A class, not an object literal: a literal
 * with a getter is built through V8's slow path, which cost about 3 µs of worker time per prediction in the echo
 * bench (a tenth of the 4-client throughput).
 */
class Scope {
  constructor(
    readonly id: string,
    private readonly run: Running,
    readonly context: Record<string, string>,
  ) {}

  get signal(): AbortSignal {
    return this.run.signal;
  }

  recordMetric(name: string, value: unknown, mode: MetricModeInput = "replace"): void {
    checkMetricName(name);
    send({ type: "metric", id: this.id, name, value: serialize(value, undefined), mode: metricMode(mode) });
  }
}

type PredictorInstance = Record<string, unknown> & { setup?: (...args: unknown[]) => unknown };
let predictor: PredictorInstance;
let method: (...args: unknown[]) => unknown;

/**
 * A class rather than a plain function: written with `class` (also after cog build's transpiling, which keeps
 * classes), or an old-style constructor whose prototype carries the predict/run/train method.
 */
function isClass(value: unknown): boolean {
  if (typeof value !== "function") return false;
  if (/^class\b/.test(Function.prototype.toString.call(value))) return true;
  const prototype = (value as { prototype?: Record<string, unknown> }).prototype;
  return Boolean(prototype) && ["predict", "run", "train"].some((name) => typeof prototype![name] === "function");
}

async function load(): Promise<void> {
  // The image's predictor is JavaScript that cog build transpiled with inline source maps: stack traces then name
  // the author's .ts lines, as they do with --no-docker. Maps are only read when a stack is formatted.
  process.setSourceMapsEnabled(true);
  if (/\.[mc]?ts$/.test(options.modulePath)) {
    const { registerTypeScriptLoader } = await import("../loader/index.js");
    registerTypeScriptLoader();
  }
  const module = (await import(pathToFileURL(options.modulePath).href)) as Record<string, unknown>;
  // A CommonJS module's named exports are found by scanning its source on disk, which for a mounted .ts file is
  // TypeScript, not the JavaScript that ran: its module.exports (the default export) has them.
  const exported =
    module[options.className] ?? (module.default as Record<string, unknown> | undefined)?.[options.className];
  if (typeof exported !== "function") {
    throw new Error(`${options.modulePath} does not export a class or function named ${options.className}`);
  }
  const names = options.mode === "train" ? ["train"] : ["predict", "run"];
  const asClass = isClass(exported);
  let found = options.className;
  let target: (...args: unknown[]) => unknown;
  if (asClass) {
    const Class = exported as new () => PredictorInstance;
    predictor = new Class();
    const name = names.find((candidate) => typeof predictor[candidate] === "function");
    if (!name) throw new Error(`${options.className} has no ${names.join("() or ")}() method`);
    found = name;
    target = predictor[found] as (...args: unknown[]) => unknown;
    method = target.bind(predictor);
  } else {
    // A bare function is the predictor, as Cog allows (`run: "predict.ts:predict"`): no setup, no healthcheck.
    predictor = {};
    target = exported as (...args: unknown[]) => unknown;
    method = target;
  }
  const kind = target.constructor.name;
  if (options.maxConcurrency > 1 && kind !== "AsyncFunction" && kind !== "AsyncGeneratorFunction") {
    throw new Error(`COG_MAX_CONCURRENCY > 1 requires an async ${found}() ${asClass ? "method" : "function"}`);
  }
  if (typeof predictor.setup === "function") {
    const weights = process.env.COG_WEIGHTS;
    await (predictor.setup.length > 0 ? predictor.setup(weights ?? null) : predictor.setup());
  }
}

function wrap(plan: ParameterPlan, value: unknown): unknown {
  const one = (item: unknown) => {
    if (typeof item !== "string") return item;
    if (plan.kind === "path") return new Path(item);
    if (plan.kind === "secret") return new Secret(item);
    return item;
  };
  if (plan.kind === "plain" || value === null || value === undefined) return value;
  return plan.array && Array.isArray(value) ? value.map(one) : one(value);
}

function argumentsFor(input: Record<string, unknown>): unknown[] {
  return options.parameters.map((plan) => {
    // Own properties only: an input named `constructor` or `toString` that was left out is missing, not Object's.
    const value = Object.hasOwn(input, plan.name) ? input[plan.name] : undefined;
    if (value === undefined) return plan.nullWhenMissing ? null : undefined;
    return wrap(plan, value);
  });
}

function isIterable(value: unknown): value is AsyncIterable<unknown> | Iterable<unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  return (
    Symbol.asyncIterator in value || (Symbol.iterator in value && !(value instanceof Map) && !(value instanceof Set))
  );
}

/** Sends an iterator's chunks as they come; stops early when the prediction is canceled. */
async function streamChunks(
  id: string,
  run: Running,
  result: AsyncIterable<unknown> | Iterable<unknown>,
  files: () => OutputFiles,
): Promise<void> {
  for await (const chunk of result) {
    const chunkFiles = chunk !== null && typeof chunk === "object" ? files() : undefined;
    const value = serialize(chunk, chunkFiles);
    send({ type: "output", id, value, chunk: true, files: chunkFiles?.take() });
    if (run.canceled) break;
  }
}

/**
 * Runs one prediction and sends its "done". Written with callbacks rather than as nested async functions, so that
 * a plain return value passes through one promise of ours (the `then` on the predictor's): with several
 * predictions at once, AsyncLocalStorage hooks every promise in this process. Measured against the async version:
 * about 0.5 µs less worker time per prediction in the echo bench, 1-2% of the 4-client throughput.
 */
function predict(id: string, input: Record<string, unknown>, context: Record<string, string> = {}): void {
  const run = new Running();
  running.set(id, run);
  const scope = new Scope(id, run, context);
  // Several predictions at once each get their own AsyncLocalStorage scope; one at a time, a plain global one
  // (see setSoleScope), set until the prediction ends.
  const concurrent = options.maxConcurrency > 1;
  const inScope = <T>(fn: () => T): T => (concurrent ? runInScope(scope, fn) : fn());
  if (!concurrent) setSoleScope(scope);

  let files: OutputFiles | undefined;
  const filesOf = () => (files ??= new OutputFiles(join(options.outputDir, outputDirName(id))));
  const finish = (status: "succeeded" | "failed" | "canceled", error?: string, output?: unknown) => {
    running.delete(id);
    if (!concurrent) setSoleScope(undefined);
    const slots = files?.take();
    // The server removes the directory of a prediction that succeeded, once it has read the files.
    if (files && status !== "succeeded") rmSync(files.dir, { recursive: true, force: true });
    send({
      type: "done",
      id,
      status,
      error,
      output: status === "succeeded" ? output : undefined,
      files: status === "succeeded" ? slots : undefined,
      iterator: run.iterator,
    });
  };
  const fail = (caught: unknown) => {
    if (run.canceled) return finish("canceled");
    if (caught instanceof Error && caught.stack && process.env.COGTS_LOG_STACKS !== "0")
      process.stderr.write(`${caught.stack}\n`);
    finish("failed", errorText(caught));
  };
  const succeed = (output: unknown) => finish(run.canceled ? "canceled" : "succeeded", undefined, output);
  const returned = (result: unknown) => {
    let output: unknown;
    try {
      if (isIterable(result)) {
        run.iterator = true;
        return void inScope(() => streamChunks(id, run, result, filesOf)).then(() => succeed(undefined), fail);
      }
      // The common output (a string, a number) has no file in it: no OutputFiles is made for it.
      output = serialize(result, result !== null && typeof result === "object" ? filesOf() : undefined);
    } catch (caught) {
      return fail(caught);
    }
    succeed(output);
  };

  let result: unknown;
  try {
    result = inScope(() => method(...argumentsFor(input)));
  } catch (caught) {
    return fail(caught);
  }
  void Promise.resolve(result).then(returned, fail);
}

async function healthcheck(requestId: number): Promise<void> {
  try {
    const check = predictor.healthcheck as () => unknown;
    const result = await check.call(predictor);
    send({
      type: "healthcheck",
      requestId,
      error: result === false ? "user-defined healthcheck returned false" : undefined,
    });
  } catch (caught) {
    send({ type: "healthcheck", requestId, error: `user-defined healthcheck failed: ${errorText(caught)}` });
  }
}

const LOG_PIECE = 1024 * 1024;

/** With several predictions in one process, console output is attributed through the prediction's scope. */
function tagConsoleOutput(): void {
  for (const source of ["stdout", "stderr"] as const) {
    const stream = process[source];
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const scope = currentScope();
      if (!scope || !running.has(scope.id)) return original(chunk, ...rest);
      const data = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
      // In pieces of at most 1 Mi characters: the server keeps a prediction's logs up to a limit, and a single
      // huge message would be refused by the channel whole.
      for (let at = 0; at < data.length; at += LOG_PIECE)
        send({ type: "log", id: scope.id, source, data: data.slice(at, at + LOG_PIECE) });
      const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  }
}

function onMessage(message: ToWorker): void {
  if (message.type === "predict") {
    let input = message.input ?? {};
    if (message.inputFile) {
      input = JSON.parse(readFileSync(message.inputFile, "utf8")) as Record<string, unknown>;
      const spillDir = dirname(message.inputFile);
      rmSync(basename(spillDir).startsWith("cogts-spill-") ? spillDir : message.inputFile, {
        recursive: true,
        force: true,
      });
    }
    predict(message.id, input, message.context);
  } else if (message.type === "cancel") {
    running.get(message.id)?.cancel();
  } else if (message.type === "healthcheck") {
    void healthcheck(message.requestId);
  }
}

async function main(): Promise<void> {
  // A predictor's stray rejection must fail its prediction, not the worker; the parent restarts us otherwise.
  process.on("unhandledRejection", (reason) => {
    process.stderr.write(`unhandled rejection: ${errorText(reason)}\n`);
  });
  try {
    await load();
  } catch (caught) {
    const text = caught instanceof Error && caught.stack ? caught.stack : errorText(caught);
    process.stderr.write(`${text}\n`);
    send({ type: "setup_failed", error: errorText(caught) });
    return;
  }
  if (options.tagLogs) tagConsoleOutput();
  send({ type: "ready", hasHealthcheck: typeof predictor.healthcheck === "function" });
}

void main();
