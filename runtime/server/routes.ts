/**
 * The HTTP routes of Cog's prediction API (docs/spec/cog-contract.md §4): which handler a method and path reach, 404 and
 * 405, reading and parsing bodies, and answering in the mode the request asks for (sync, `Prefer: respond-async`,
 * or SSE). What a prediction does is the PredictionService's; this file only speaks HTTP.
 *
 *   const routes = new Routes({ service, openapi, version, mode, historyCapacity, validators, shutdown });
 *   createServer(routes.handle);
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PredictionService, Kind } from "./service.js";
import type { Prediction } from "./prediction.js";
import { BodyReader, refuseContentType, type Refusal } from "./body.js";
import { HttpError, httpErrors, type ErrorReply } from "./errors.js";
import { parseRequest, wantsSse, type RequestBody } from "./request.js";
import { streamEvents } from "./sse.js";
import { json, replyError } from "./reply.js";
import { log } from "./log.js";

interface RouteOptions {
  service: PredictionService;
  /** The OpenAPI document (undefined when the schema file is missing: /openapi.json answers 503). */
  openapi?: Record<string, unknown>;
  version: string;
  mode: "predict" | "train";
  historyCapacity: number;
  /** The input validators compile while setup runs; a request that comes in before they are done waits. */
  validators: { done: boolean; compiled: Promise<void> };
  /** POST /shutdown, once its answer has left. */
  shutdown: () => void;
  /** Shared by every request: bounds the bytes of bodies read at once. */
  bodies?: BodyReader;
}

const PATH_PATTERN = /^\/(predictions|trainings)(?:\/([^/]+)(\/cancel)?)?$/;

export class Routes {
  private readonly service: PredictionService;
  private readonly bodies: BodyReader;

  constructor(private readonly options: RouteOptions) {
    this.service = options.service;
    this.bodies = options.bodies ?? new BodyReader();
  }

  /** The request listener of node:http. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void =>
    this.guarded(req, res, () => this.route(req, res));

  /**
   * Runs one step of handling a request: an HttpError it throws (or rejects with) becomes the response, anything
   * else a logged 500. Steps that run in callbacks (after the body is read, after the worker answers) go through
   * here too, so that no error escapes to the event loop.
   */
  private guarded(req: IncomingMessage, res: ServerResponse, step: () => void | Promise<void>): void {
    const failed = (error: unknown) => {
      if (error instanceof HttpError) return replyError(res, error.reply);
      log("error", "request failed", {
        method: req.method,
        path: req.url,
        error: (error as Error).stack ?? String(error),
      });
      replyError(res, httpErrors.internal());
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
    // Trailing slashes are dropped by a loop: /\/+$/ retried from every slash of a long run (quadratic).
    let end = url.indexOf("?");
    if (end < 0) end = url.length;
    while (end > 1 && url.charCodeAt(end - 1) === 47) end--;
    const path = url.slice(0, end) || "/";
    const method = req.method ?? "GET";
    const match = PATH_PATTERN.exec(path);
    const allow = (...methods: string[]) => {
      if (methods.includes(method)) return true;
      this.refuse(req, res, httpErrors.methodNotAllowed(methods));
      return false;
    };
    if (path === "/") {
      if (allow("GET")) json(res, 200, this.indexDocument());
    } else if (path === "/health-check") {
      if (allow("GET")) json(res, 200, await this.service.health());
    } else if (path === "/openapi.json") {
      if (!allow("GET")) return;
      if (this.options.openapi && this.service.ready) json(res, 200, this.options.openapi);
      else replyError(res, httpErrors.schemaNotAvailable());
    } else if (path === "/shutdown") {
      if (!allow("POST")) return;
      const refused = refuseContentType(req);
      if (refused) return this.refuse(req, res, refused);
      req.resume();
      json(res, 200, {});
      res.on("finish", () => this.options.shutdown());
    } else if (match) {
      const kind = match[1] as Kind;
      let id: string | undefined;
      try {
        id = match[2] ? decodeURIComponent(match[2]) : undefined;
      } catch {
        return this.refuse(req, res, httpErrors.badPercentEncoding());
      }
      if (match[3]) {
        if (allow("POST")) this.cancel(req, res, id!);
      } else if (id === undefined) {
        if (allow("POST")) this.create(req, res, kind);
      } else if (allow("PUT")) {
        this.create(req, res, kind, id);
      }
    } else {
      this.refuse(req, res, httpErrors.notFound());
    }
  }

  private get trainable(): boolean {
    const schemas = (this.options.openapi?.components as { schemas?: Record<string, unknown> } | undefined)?.schemas;
    return Boolean(schemas?.TrainingInput) || this.options.mode === "train";
  }

  private indexDocument(): Record<string, string> {
    const doc: Record<string, string> = {
      cog_version: this.options.version,
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

  private streamingEnabled(): boolean {
    const paths = this.options.openapi?.paths as Record<string, { post?: Record<string, unknown> }> | undefined;
    return paths?.["/predictions"]?.post?.["x-cog-streaming"] === true;
  }

  /** Reads the whole request body, then calls `done` (in a guarded step) with it, or answers the refusal. */
  private readBody(req: IncomingMessage, res: ServerResponse, done: (raw: Buffer) => void | Promise<void>): void {
    const refused = refuseContentType(req);
    if (refused) return this.refuse(req, res, refused);
    this.bodies.read(
      req,
      (raw) => this.guarded(req, res, () => done(raw)),
      (refusal) => this.refuse(req, res, refusal),
    );
  }

  /** Answers a refusal without reading the body (node:http discards it). */
  private refuse(req: IncomingMessage, res: ServerResponse, refusal: Refusal | ErrorReply): void {
    req.resume();
    replyError(res, refusal);
  }

  /**
   * POST or PUT of a prediction (or training). The common case (no input files, a small body) runs without a
   * promise from the request to its response: the body's end event admits the prediction, the worker's "done"
   * message answers it (a chain of seven awaits before: 2-6% of the 4-client throughput, within run-to-run noise
   * alone, but it also let the answer leave as soon as "done" is read).
   */
  private create(req: IncomingMessage, res: ServerResponse, kind: Kind, pathId?: string): void {
    const sse = wantsSse(req);
    if (sse && kind === "trainings") return this.refuse(req, res, httpErrors.trainingNotStreaming());
    if (sse && !this.streamingEnabled()) return this.refuse(req, res, httpErrors.modelNotStreaming());
    this.readBody(req, res, (raw) => {
      const body = parseRequest(raw);
      const validators = this.options.validators;
      if (this.service.ready && !validators.done) {
        return validators.compiled.then(() =>
          this.guarded(req, res, () => this.admit(req, res, kind, body, sse, pathId)),
        );
      }
      this.admit(req, res, kind, body, sse, pathId);
    });
  }

  /** Admits a parsed request and answers as its mode asks (sync, async or SSE). */
  private admit(
    req: IncomingMessage,
    res: ServerResponse,
    kind: Kind,
    body: RequestBody,
    sse: boolean,
    pathId?: string,
  ): void {
    const admission = this.service.admit({ kind, body, pathId, headers: req.headers });
    if (admission.outcome === "refused") return replyError(res, admission.error);
    if (admission.outcome === "existing") {
      if (sse) return this.stream(req, res, admission.prediction);
      return json(res, 202, admission.prediction.snapshot());
    }
    const { entry } = admission;
    const { prediction } = entry;
    const syncMode = !sse && req.headers.prefer !== "respond-async";
    if (syncMode) {
      res.on("close", () => {
        if (!res.writableFinished && !prediction.terminal) this.service.cancel(entry);
      });
    }
    this.service.run(entry, (refusedInputFile) => {
      if (!syncMode) return;
      if (refusedInputFile !== undefined) {
        const { id, logs, metrics } = prediction;
        return json(res, 422, {
          id,
          error: refusedInputFile,
          logs,
          status: "failed",
          metrics,
          input: prediction.shownInput(),
        });
      }
      json(res, 200, prediction.snapshot());
    });
    if (sse) {
      prediction.sseOwned = true;
      // Replay: the prediction may already have started while this response was being set up.
      return this.stream(req, res, prediction);
    }
    if (!syncMode) {
      return json(res, 202, {
        id: prediction.id,
        status: "starting",
        input: prediction.shownInput(),
        created_at: prediction.created_at,
      });
    }
  }

  private stream(req: IncomingMessage, res: ServerResponse, prediction: Prediction): void {
    streamEvents(req, res, prediction, {
      replay: true,
      historyCapacity: this.options.historyCapacity,
      abandoned: () => {
        const entry = this.service.running.get(prediction.id);
        if (entry) this.service.cancel(entry);
      },
    });
  }

  private cancel(req: IncomingMessage, res: ServerResponse, id: string): void {
    const refused = refuseContentType(req);
    if (refused) return this.refuse(req, res, refused);
    req.resume();
    if (this.service.cancelById(id)) json(res, 200, {});
    else replyError(res, httpErrors.cancelUnknown());
  }
}
