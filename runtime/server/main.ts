/**
 * The in-container server process:
 *
 *   node dist/runtime/server/main.js [--host H] [--upload-url U] [--await-explicit-shutdown true] [--x-mode predict|train]
 *
 * Port from $PORT (5000); predictor from $COG_PREDICT_TYPE_STUB / $COG_TRAIN_TYPE_STUB (`predict.ts:Predictor`);
 * schema from $COG_OPENAPI_SCHEMA or /src/.cog/openapi_schema.json (docs/spec/cog-contract.md §4.1).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { WorkerSupervisor } from "./worker-process.js";
import type { WorkerOptions } from "../protocol/index.js";
import { parameterPlan, resolvePredictorRef } from "./predictor.js";
import { runtimeVersion } from "./version.js";
import { log } from "./log.js";

function numberFromEnv(name: string, fallback: number, accept: (n: number) => boolean = (n) => n > 0): number {
  const value = Number(process.env[name]);
  return process.env[name] !== undefined && process.env[name] !== "" && Number.isFinite(value) && accept(value)
    ? value
    : fallback;
}

function fail(message: string): never {
  process.stderr.write(`cogts server: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: "string", default: "0.0.0.0" },
      "upload-url": { type: "string" },
      "await-explicit-shutdown": { type: "string", default: "false" },
      "x-mode": { type: "string", default: "predict" },
      threads: { type: "string" },
      version: { type: "boolean", short: "v" },
    },
    strict: true,
  });
  const version = runtimeVersion();
  if (values.version) {
    process.stdout.write(`cogts (Node) ${version}\n`);
    return;
  }
  const mode =
    values["x-mode"] === "train"
      ? "train"
      : values["x-mode"] === "predict"
        ? "predict"
        : fail(`--x-mode must be predict or train, not ${values["x-mode"]}`);
  const refVariable = mode === "train" ? "COG_TRAIN_TYPE_STUB" : "COG_PREDICT_TYPE_STUB";
  const ref = process.env[refVariable];
  if (!ref) fail(`${refVariable} is not set: it names the predictor, e.g. predict.ts:Predictor`);
  const cwd = process.cwd();
  const schemaPath = process.env.COG_OPENAPI_SCHEMA || "/src/.cog/openapi_schema.json";
  let openapi: Record<string, unknown> | undefined;
  try {
    openapi = JSON.parse(readFileSync(schemaPath, "utf8")) as Record<string, unknown>;
  } catch (error) {
    log("warn", `cannot read the OpenAPI schema ${schemaPath}: ${(error as Error).message}`);
  }
  let predictorFile: { modulePath: string; className: string };
  try {
    predictorFile = resolvePredictorRef(ref, cwd, process.env.COGTS_LOAD_TYPESCRIPT === "1");
  } catch (error) {
    fail((error as Error).message);
  }
  const { modulePath, className } = predictorFile;
  const maxConcurrency = Math.floor(numberFromEnv("COG_MAX_CONCURRENCY", 1, (n) => n >= 1));
  const worker: WorkerOptions = {
    modulePath,
    className,
    mode,
    parameters: parameterPlan(openapi, mode === "train" ? "TrainingInput" : "Input"),
    tagLogs: maxConcurrency > 1,
    maxConcurrency,
    // Output files of every prediction, each in a directory of its own (mkdtemp makes it 0700); removed on exit.
    outputDir: mkdtempSync(join(tmpdir(), "cogts-outputs-")),
  };
  process.on("exit", () => rmSync(worker.outputDir, { recursive: true, force: true }));
  const setupTimeout = numberFromEnv("COG_SETUP_TIMEOUT", 0);
  const cancelGrace = numberFromEnv("COGTS_CANCEL_GRACE_SECONDS", 5, (n) => n >= 0);
  // Cog 0.22 gives the user healthcheck() 5 s.
  const healthcheckTimeout = numberFromEnv("COGTS_HEALTHCHECK_TIMEOUT_SECONDS", 5);
  // The worker boots (a second Node process) while this one loads the HTTP server: a faster first READY.
  const supervisor = new WorkerSupervisor({
    worker,
    setupTimeout,
    cancelGrace,
    healthcheckTimeout,
    cwd,
    env: process.env,
  });
  supervisor.start();
  const { PredictionServer } = await import("./http.js");
  const server = new PredictionServer({
    host: values.host!,
    port: numberFromEnv("PORT", 5000, (n) => n >= 0 && n < 65536),
    mode,
    uploadUrl: values["upload-url"],
    awaitExplicitShutdown: values["await-explicit-shutdown"] === "true",
    openapi,
    worker,
    supervisor,
    cwd,
    maxConcurrency,
    setupTimeout,
    cancelGrace,
    healthcheckTimeout,
    throttle: numberFromEnv("COG_THROTTLE_RESPONSE_INTERVAL", 0.5, (n) => n >= 0),
    webhookRetryBaseMs: numberFromEnv("COGTS_WEBHOOK_RETRY_BASE_MS", 100, (n) => n >= 0),
    webhookAuthToken: process.env.WEBHOOK_AUTH_TOKEN || undefined,
    historyCapacity: Math.floor(numberFromEnv("COG_STREAM_HISTORY_CAPACITY", 1024, (n) => n >= 0)),
    download: {
      maxBytes: numberFromEnv("COGTS_MAX_INPUT_FILE_BYTES", 1024 * 1024 * 1024),
      timeoutMs: numberFromEnv("COGTS_DOWNLOAD_TIMEOUT_SECONDS", 60) * 1000,
      userAgent: process.env.COG_USER_AGENT || `cogts/${version}`,
      allowLocalPaths: process.env.COGTS_ALLOW_LOCAL_INPUT_PATHS === "1",
    },
    readyFile: process.env.KUBERNETES_SERVICE_HOST ? process.env.COGTS_READY_FILE || "/var/run/cog/ready" : undefined,
    version,
    onShutdown: () => process.exit(0),
  });
  const onSigterm = () => {
    if (values["await-explicit-shutdown"] === "true") return;
    if (server.supervisor.state === "starting") {
      // During setup there is nothing to drain: as Cog 0.22, the process ends by the signal itself (the exit
      // handler above does not run then, so the output directory is removed here).
      server.supervisor.stop();
      rmSync(worker.outputDir, { recursive: true, force: true });
      process.off("SIGTERM", onSigterm);
      process.kill(process.pid, "SIGTERM");
      return;
    }
    // Cog 0.22's graceful shutdown: no new predictions, the running ones finish, then exit 0.
    void server.shutdown("drain");
  };
  process.on("SIGTERM", onSigterm);
  process.on("SIGINT", () => void server.shutdown("cancel"));
  // Started by `cog serve/run --no-docker`: stdin is a pipe from the CLI, and its end means the CLI is gone (even
  // killed with SIGKILL), so the server shuts down instead of holding the port and the model. Nobody is left to
  // wait for the answers: what runs is canceled.
  if (process.env.COGTS_EXIT_WITH_PARENT === "1") {
    process.stdin.on("end", () => void server.shutdown("cancel"));
    process.stdin.on("error", () => void server.shutdown("cancel"));
    process.stdin.resume();
  }
  try {
    const port = await server.start();
    if (process.env.COGTS_ANNOUNCE_PORT === "1") process.stdout.write(`listening on ${port}\n`);
    log("info", "server listening", { port, version });
    // Listeners also hear about slots freeing up: only a change of state is worth a line.
    let previous: string = "starting";
    server.supervisor.onStateChange((state) => {
      if (state === previous) return;
      previous = state;
      if (state === "ready") log("info", "setup succeeded; ready for predictions");
      else if (state === "setup_failed")
        log("error", "setup failed", { logs: server.supervisor.setup.logs.slice(-2000) });
    });
  } catch (error) {
    fail(`cannot listen: ${(error as Error).message}`);
  }
}

void main();
