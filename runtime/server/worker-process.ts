/**
 * Runs the worker child process for the server: starts it, reads its stdout/stderr at the pipe level (so output
 * of the predictor's own child processes is caught too), routes that output to setup logs or the running
 * prediction, and restarts the worker when it dies.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Duplex } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type { MetricMode } from "../scope/index.js";
import {
  MessageChannel,
  wellFormed,
  type FileSlot,
  type FromWorker,
  type ToWorker,
  type WorkerOptions,
} from "../protocol/index.js";
import { log } from "./log.js";
import { workerCommand } from "./worker-command.js";
import { RedactingStream } from "./redact.js";
import { LOG_LIMIT, truncationNote } from "./prediction.js";

export type LogSource = "stdout" | "stderr";

/** What the supervisor reports about one prediction. */
export interface PredictionSink {
  onLog(source: LogSource, data: string): void;
  /** `files`: where file outputs sit in `value` (see protocol.ts); the server reads them, nothing else. */
  onOutput(value: unknown, chunk: boolean, files?: FileSlot[]): void;
  onMetric(name: string, value: unknown, mode: MetricMode): void;
  onDone(
    status: "succeeded" | "failed" | "canceled",
    error: string | undefined,
    iterator: boolean,
    output?: unknown,
  ): void;
}

export type WorkerState = "starting" | "ready" | "setup_failed";

export interface SetupInfo {
  started_at?: string;
  completed_at?: string;
  status?: "starting" | "succeeded" | "failed";
  logs: string;
}

interface SupervisorOptions {
  worker: WorkerOptions;
  /** Seconds; 0 means no limit. */
  setupTimeout: number;
  /** Seconds a canceled prediction may take to stop before the worker is killed. */
  cancelGrace: number;
  /** Seconds the user healthcheck() may take (5 as Cog 0.22). */
  healthcheckTimeout: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Called whenever the state changes (e.g. to write the Kubernetes ready file). */
  onStateChange?: (state: WorkerState) => void;
}

export class WorkerSupervisor {
  state: WorkerState = "starting";
  setup: SetupInfo = { logs: "" };
  hasHealthcheck = false;
  private child?: ChildProcess;
  private channel?: MessageChannel<ToWorker, FromWorker>;
  private readonly inFlight = new Map<string, PredictionSink>();
  private readonly killedForCancel = new Set<string>();
  private readonly cancelTimers = new Map<string, NodeJS.Timeout>();
  private readonly healthWaiters = new Map<number, (error: string | undefined) => void>();
  private healthRequest = 0;
  /** Messages waiting for the end of the current poll phase (see `receive`), in arrival order. */
  private deferred: FromWorker[] = [];
  private setupTimer?: NodeJS.Timeout;
  private stopping = false;
  private everReady = false;
  private readyAt = 0;
  private quickCrashes = 0;
  /** Worker output that belongs to no prediction goes to this process's stderr, with secrets masked. */
  private readonly stray = { stdout: new RedactingStream(), stderr: new RedactingStream() };
  private setupLogsDropped = 0;

  private readonly stateListeners: ((state: WorkerState) => void)[] = [];
  started = false;
  private exitHookSet = false;

  constructor(private readonly options: SupervisorOptions) {
    if (options.onStateChange) this.stateListeners.push(options.onStateChange);
  }

  /** Calls `listener` on every state change from now on, and once now. */
  onStateChange(listener: (state: WorkerState) => void): void {
    this.stateListeners.push(listener);
    listener(this.state);
  }

  private notify(): void {
    for (const listener of this.stateListeners) listener(this.state);
  }

  get busySlots(): number {
    return this.inFlight.size;
  }

  start(): void {
    this.started = true;
    this.state = "starting";
    this.setup = { started_at: new Date().toISOString(), status: "starting", logs: "" };
    const { command, args, env } = workerCommand(this.options.worker.modulePath, this.options.env);
    const child = spawn(command, args, {
      cwd: this.options.cwd,
      env: { ...env, COGTS_WORKER_OPTIONS: JSON.stringify(this.options.worker) },
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      // Its own process group: every process the model starts is stopped with the worker (see killGroup).
      detached: true,
    });
    this.child = child;
    this.deferred = [];
    this.setupLogsDropped = 0;
    if (!this.exitHookSet) {
      this.exitHookSet = true;
      process.on("exit", () => this.child && killGroup(this.child));
    }
    for (const source of ["stdout", "stderr"] as const) this.readStream(child, source);
    this.channel = new MessageChannel<ToWorker, FromWorker>(
      child.stdio[3] as Duplex,
      (message) => {
        if (this.child !== child) return;
        this.receive(message);
      },
      "immediate",
      (reason) => {
        // A worker that sends something that is not a message is broken: it is restarted, the server stays.
        if (this.child !== child) return;
        log("error", `the worker sent ${reason}; stopping it`);
        killGroup(child);
      },
    );
    child.on("exit", (code, signal) => this.onExit(child, code, signal));
    child.on("error", (error) => {
      this.appendSetupLog(`worker process error: ${error.message}\n`);
    });
    if (this.options.setupTimeout > 0) {
      this.setupTimer = setTimeout(() => {
        if (this.child !== child || this.state !== "starting") return;
        this.failSetup(`setup did not finish within COG_SETUP_TIMEOUT (${this.options.setupTimeout} s)`);
        killGroup(child);
      }, this.options.setupTimeout * 1000);
    }
    this.notify();
  }

  /** Sends a prediction to the worker; the sink hears about its logs, outputs, metrics and end. */
  predict(id: string, message: Extract<ToWorker, { type: "predict" }>, sink: PredictionSink): void {
    if (this.state !== "ready" || !this.child) {
      sink.onDone("failed", "the worker is not ready", false);
      return;
    }
    this.inFlight.set(id, sink);
    this.channel!.send(message);
  }

  /** Asks the prediction to stop; one that ignores its signal past the grace period is stopped by killing the worker. */
  cancel(id: string): void {
    if (!this.inFlight.has(id) || !this.child) return;
    this.channel!.send({ type: "cancel", id });
    if (this.cancelTimers.has(id)) return;
    const child = this.child;
    this.cancelTimers.set(
      id,
      setTimeout(() => {
        this.cancelTimers.delete(id);
        if (!this.inFlight.has(id) || this.child !== child) return;
        this.killedForCancel.add(id);
        killGroup(child);
      }, this.options.cancelGrace * 1000),
    );
  }

  /** Runs the predictor's healthcheck(); resolves to an error text, or undefined when healthy. */
  healthcheck(timeoutMs = this.options.healthcheckTimeout * 1000): Promise<string | undefined> {
    if (!this.hasHealthcheck || !this.child || this.state !== "ready") return Promise.resolve(undefined);
    const requestId = ++this.healthRequest;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.healthWaiters.delete(requestId);
        // Cog 0.22's words (its full text starts "Healthcheck failed: ").
        resolve(`user-defined healthcheck timed out after ${(timeoutMs / 1000).toFixed(1)} seconds`);
      }, timeoutMs);
      this.healthWaiters.set(requestId, (error) => {
        clearTimeout(timer);
        resolve(error);
      });
      this.channel?.send({ type: "healthcheck", requestId });
    });
  }

  /** Stops the worker for good (server shutdown). */
  stop(): void {
    this.stopping = true;
    if (this.child) killGroup(this.child);
  }

  private readStream(child: ChildProcess, source: LogSource): void {
    const stream = child[source];
    if (!stream) return;
    const decoder = new StringDecoder("utf8");
    stream.on("data", (bytes: Buffer) => this.routeLog(source, decoder.write(bytes), this.child !== child));
    stream.on("end", () => {
      this.routeLog(source, decoder.end(), this.child !== child);
      const rest = this.stray[source].end();
      if (rest) process.stderr.write(rest);
    });
  }

  /**
   * A message that ends a phase (setup, a prediction) is acted on only once the output written before it has
   * been read, so that all of it lands in that phase's logs. No marker or wait is needed for that: whatever the
   * worker (or a child of it, or native code) wrote to stdout/stderr before sending the message made those pipes
   * readable before the channel socket was, and libuv's epoll is level-triggered, so the poll phase that reads
   * the message also reads those pipes (a pipe holds 64 KiB, less than libuv reads per readiness). Deferring the
   * message to setImmediate runs it right after that poll phase, in the same loop turn: no system call, no timer,
   * no extra wake-up. Later messages queue behind a deferred one to keep their order.
   *
   * A worker that runs several predictions at once (COG_MAX_CONCURRENCY > 1) sends its JavaScript output over
   * the channel, tagged with its prediction and in order with "done"; only output below JavaScript (child
   * processes, native code) comes through the pipes, and that can be attributed only while a single prediction
   * runs. Its "done" is therefore handled at once: the deferral would guard an attribution that concurrency
   * already makes best-effort, and it costs the response about a fifth of the 4-client throughput (the
   * response then leaves after everything else read in that poll phase, not as soon as the answer is in).
   */
  private receive(message: FromWorker): void {
    const endsPhase =
      message.type === "ready" ||
      message.type === "setup_failed" ||
      (message.type === "done" && !this.options.worker.tagLogs);
    if (!endsPhase && this.deferred.length === 0) return this.handle(message);
    this.deferred.push(message);
    if (this.deferred.length === 1) setImmediate(this.handleDeferred);
  }

  private readonly handleDeferred = (): void => {
    const messages = this.deferred;
    this.deferred = [];
    for (const message of messages) this.handle(message);
  };

  private routeLog(source: LogSource, data: string, stale = false): void {
    if (!data) return;
    if (!stale && this.state === "starting") return this.appendSetupLog(data);
    if (!stale && this.inFlight.size === 1) {
      const [sink] = this.inFlight.values();
      return sink?.onLog(source, data);
    }
    const shown = this.stray[source].write(data);
    if (shown) process.stderr.write(shown);
  }

  /** Setup logs are kept up to the same limit as a prediction's. */
  private appendSetupLog(data: string): void {
    if (this.setupLogsDropped > 0 || this.setup.logs.length + data.length > LOG_LIMIT) {
      const room = Math.max(0, LOG_LIMIT - this.setup.logs.length);
      if (this.setupLogsDropped === 0) this.setup.logs += data.slice(0, room);
      this.setupLogsDropped += data.length - (this.setupLogsDropped === 0 ? room : 0);
      return;
    }
    this.setup.logs += data;
  }

  /**
   * Acts on one message. A message whose fields are not what the protocol says (a worker broken, or a model
   * writing on fd 3) stops the worker like a malformed line does, instead of throwing in the server.
   */
  private handle(message: FromWorker): void {
    const child = this.child;
    try {
      if (!wellFormed(message))
        throw new Error(`a malformed ${JSON.stringify(String(message.type).slice(0, 40))} message`);
      this.dispatch(message);
    } catch (error) {
      if (!child || this.child !== child) return;
      log("error", `the worker sent ${(error as Error).message}; stopping it`);
      killGroup(child);
    }
  }

  private dispatch(message: FromWorker): void {
    switch (message.type) {
      case "ready":
        clearTimeout(this.setupTimer);
        this.hasHealthcheck = message.hasHealthcheck;
        this.state = "ready";
        this.everReady = true;
        this.readyAt = performance.now();
        this.setup.status = "succeeded";
        if (this.setupLogsDropped > 0) this.setup.logs += truncationNote(this.setupLogsDropped);
        this.setup.completed_at = new Date().toISOString();
        this.notify();
        return;
      case "setup_failed":
        this.failSetup(message.error);
        return;
      case "output":
        this.inFlight.get(message.id)?.onOutput(message.value, message.chunk, message.files);
        return;
      case "metric":
        this.inFlight.get(message.id)?.onMetric(message.name, message.value, message.mode);
        return;
      case "log":
        this.inFlight.get(message.id)?.onLog(message.source, message.data);
        return;
      case "done": {
        const sink = this.inFlight.get(message.id);
        this.inFlight.delete(message.id);
        clearTimeout(this.cancelTimers.get(message.id));
        this.cancelTimers.delete(message.id);
        if (message.output !== undefined && sink) sink.onOutput(message.output, false, message.files);
        sink?.onDone(message.status, message.error, message.iterator);
        this.notify();
        return;
      }
      case "healthcheck":
        this.healthWaiters.get(message.requestId)?.(message.error);
        this.healthWaiters.delete(message.requestId);
        return;
    }
  }

  private failSetup(error: string): void {
    clearTimeout(this.setupTimer);
    if (this.state === "setup_failed") return;
    if (this.setupLogsDropped > 0) this.setup.logs += truncationNote(this.setupLogsDropped);
    this.state = "setup_failed";
    this.setup.status = "failed";
    this.setup.completed_at = new Date().toISOString();
    if (this.setup.logs && !this.setup.logs.endsWith("\n")) this.setup.logs += "\n";
    this.setup.logs += `Setup failed: ${error}\n`;
    this.notify();
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    // Let deferred messages (a final "done") through before judging what was lost.
    this.handleDeferred();
    this.child = undefined;
    // Processes the model started die with it, also when it crashed or was killed alone.
    killGroup(child);
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    for (const [id, sink] of this.inFlight) {
      clearTimeout(this.cancelTimers.get(id));
      this.cancelTimers.delete(id);
      if (this.killedForCancel.delete(id)) sink.onDone("canceled", undefined, false);
      else
        sink.onDone("failed", `The worker process ${how} while running this prediction; it is being restarted.`, false);
    }
    this.inFlight.clear();
    for (const [, waiter] of this.healthWaiters) waiter("the worker process exited");
    this.healthWaiters.clear();
    if (this.stopping) return;
    if (this.state === "starting") {
      this.failSetup(`the worker process ${how} during setup`);
      return;
    }
    if (this.state === "ready" && this.everReady) {
      // A worker that keeps dying soon after setup is restarted with a growing delay, not in a tight loop.
      const quickCrash = performance.now() - this.readyAt < 10_000;
      this.quickCrashes = quickCrash ? this.quickCrashes + 1 : 0;
      const delay = quickCrash ? Math.min(100 * 2 ** (this.quickCrashes - 1), 10_000) : 0;
      log("warn", `the worker process ${how}; restarting it${delay ? ` in ${delay} ms` : ""}`);
      this.state = "starting";
      this.setup = { ...this.setup, status: "starting" };
      this.notify();
      setTimeout(() => {
        if (!this.stopping) this.start();
      }, delay);
    }
  }
}

/** Kills the worker's process group: the worker and every process it started that did not leave the group. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}
