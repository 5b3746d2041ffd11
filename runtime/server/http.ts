/**
 * Cog's HTTP prediction API (docs/spec/cog-contract.md §4) on node:http. Model code never runs here: the worker
 * supervisor does that in a child process, so this process always answers health checks and cancels.
 *
 * The parts: routes.ts (URL to handler, bodies, answer modes), request.ts (parsing), service.ts (admission,
 * running, cancel, input files, health), sse.ts (event streams) and errors.ts (every non-prediction answer). This
 * file wires them to a node:http server and the worker, and owns start and shutdown.
 */
import { createServer, type Server } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { WorkerSupervisor } from "./worker-process.js";
import type { DownloadLimits } from "./files.js";
import type { WorkerOptions } from "../protocol/index.js";
import { log } from "./log.js";
import { PredictionService } from "./service.js";
import { Routes } from "./routes.js";

interface ServerSettings {
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

/** How long a draining shutdown waits for the terminal webhooks of predictions that ended. */
const WEBHOOK_DRAIN_MS = 10_000;

/** The prediction server; `start()` listens and launches the worker. */
export class PredictionServer {
  readonly http: Server;
  readonly supervisor: WorkerSupervisor;
  readonly service: PredictionService;
  /** Settles once the input validators are compiled; requests wait for it, READY does not. */
  private readonly validators = { done: false, compiled: Promise.resolve() };
  private shuttingDown = false;
  private readyFileWritten = false;

  constructor(private readonly settings: ServerSettings) {
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
    this.service = new PredictionService(settings, this.supervisor);
    const routes = new Routes({
      service: this.service,
      openapi: settings.openapi,
      version: settings.version,
      mode: settings.mode,
      historyCapacity: settings.historyCapacity,
      validators: this.validators,
      shutdown: () => void this.shutdown(),
    });
    this.http = createServer({ keepAliveTimeout: 65_000 }, routes.handle);
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
    this.validators.compiled = this.compileValidators().finally(() => (this.validators.done = true));
    const address = this.http.address();
    return typeof address === "object" && address ? address.port : this.settings.port;
  }

  private async compileValidators(): Promise<void> {
    try {
      const schemas = (this.settings.openapi?.components as { schemas?: Record<string, unknown> } | undefined)?.schemas;
      if (schemas) {
        const { compileInputValidator } = await import("../validate.js");
        if (schemas.Input)
          this.service.setValidator("predictions", compileInputValidator(this.settings.openapi, "Input"));
        if (schemas.TrainingInput)
          this.service.setValidator("trainings", compileInputValidator(this.settings.openapi, "TrainingInput"));
      }
    } catch (error) {
      log("error", `cannot compile the input schema: ${(error as Error).message}`);
    }
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

  /**
   * Stops admitting predictions (503, as before setup), then stops the worker, closes the server and calls
   * `onShutdown`. `drain` (POST /shutdown, SIGTERM; Cog 0.22's graceful shutdown) lets every running prediction
   * finish and be answered first, however long it takes; `cancel` (SIGINT, the CLI that started the server gone)
   * cancels them and waits at most 5 s. A cancel shutdown asked for during a drain cancels what is still running.
   */
  async shutdown(how: "drain" | "cancel" = "drain"): Promise<void> {
    if (how === "cancel") this.service.cancelAll();
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.service.stopAdmitting();
    if (how === "drain") {
      await this.service.drained();
      await this.service.webhooksDelivered(WEBHOOK_DRAIN_MS);
    } else {
      await Promise.race([this.service.drained(), new Promise((r) => setTimeout(r, 5000).unref())]);
    }
    this.service.stop();
    await this.closeConnections();
    this.settings.onShutdown();
  }

  /**
   * Closes the listener and the connections. The last answers were handed to their sockets already; idle
   * keep-alive connections close at once, and one still writing gets a moment before it is cut.
   */
  private async closeConnections(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    const deadline = Date.now() + 1000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      closed,
      new Promise<void>((resolve) => {
        const poll = () => {
          this.http.closeIdleConnections();
          if (Date.now() >= deadline) return resolve();
          timer = setTimeout(poll, 20);
        };
        poll();
      }),
    ]);
    clearTimeout(timer);
    this.http.closeAllConnections();
  }
}
