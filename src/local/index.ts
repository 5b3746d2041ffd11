/**
 * `cog serve --no-docker` and `cog run --no-docker`: the same server and SDK as in an image, run on this machine.
 * The schema comes from `generateSchema` (cached), the TypeScript predictor is loaded without a build step; a
 * Python predictor runs under the machine's python3 (src/local/python.ts).
 *
 *   const project = await prepareLocalProject(await loadProject(process.cwd()));
 *   const server = await startLocalServer(project, { port: 0 });
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../config/index.js";
import type { Project } from "../model/index.js";
import { UserError } from "../errors.js";
import { SERVER_ENTRY } from "../../runtime/server/index.js";
import { waitUntilReady } from "../predict/index.js";

export interface LocalProject extends Project {
  openapi: Record<string, unknown>;
  /** A temporary copy of the schema for the server process; removed by `dispose()`. */
  schemaPath: string;
  dispose(): void;
}

/** The schema of a loaded project, checked as the image build checks it. Throws UserError with file:line problems. */
export async function prepareLocalProject(project: Project): Promise<LocalProject> {
  const { dir } = project;
  // The same rule as the image's: what cog build would refuse does not run here either.
  const { checkRelativeImports } = await import("../schema/index.js");
  const { contextIgnorer } = await import("../build-context/index.js");
  const unresolvable = await checkRelativeImports(dir, await contextIgnorer(dir));
  if (unresolvable.length > 0) throw new UserError("Imports that Node.js cannot resolve in the image:", unresolvable);
  const document = await projectSchema(project);
  const scratch = mkdtempSync(join(tmpdir(), "cogts-local-"));
  const schemaPath = join(scratch, "openapi_schema.json");
  writeFileSync(schemaPath, JSON.stringify(document));
  return {
    ...project,
    openapi: document,
    schemaPath,
    dispose: () => rmSync(scratch, { recursive: true, force: true }),
  };
}

/**
 * The OpenAPI schema of a project's predictor (and trainer), from its source (cached): what `cog run` and
 * `cog train` check inputs against before they build or start anything.
 */
export async function projectSchema(project: Project): Promise<Record<string, unknown>> {
  const { dir, config, configFile } = project;
  if (!config.predict)
    throw new UserError(
      `${configFile} has no run: (or predict:) naming the predictor, e.g. run: "predict.ts:Predictor"`,
    );
  const { cachedSchema } = await import("../schema/index.js");
  const { document } = await cachedSchema(dir, configFile, async () => ({
    dir,
    predict: config.predict,
    train: config.train,
    configFile,
  }));
  return document as unknown as Record<string, unknown>;
}

export interface LocalServerOptions {
  port: number;
  host?: string;
  uploadUrl?: string;
  /** `train` for `cog train`: the server runs the trainer (`--x-mode train`). */
  mode?: "predict" | "train";
  /** Let Path inputs name local files (only `cog run`, whose client is the author). */
  allowLocalPaths?: boolean;
  env?: Record<string, string>;
  /** Where the server's own output goes; "pipe" keeps it for the caller. */
  stdio?: "inherit" | "pipe";
}

export interface LocalServer {
  url: string;
  process: ChildProcess;
  /** Resolves with the exit code when the server process ends. */
  exited: Promise<number>;
  stop(): Promise<void>;
}

/** The compiled server entry point shipped with this package (dist/runtime/server/main.js). */
export function serverEntryPoint(): string {
  return process.env.COGTS_SERVER_ENTRY ?? SERVER_ENTRY;
}

function configEnvironment(config: Config): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of config.environment ?? []) {
    const at = item.indexOf("=");
    if (at > 0) env[item.slice(0, at)] = item.slice(at + 1);
  }
  return env;
}

/** Starts the prediction server process for a local project; resolves once it listens. */
export async function startLocalServer(project: LocalProject, options: LocalServerOptions): Promise<LocalServer> {
  const args = ["--host", options.host ?? "127.0.0.1"];
  // A Python predictor runs under the machine's Python: found and checked here, with a clear error.
  let python: Record<string, string> = {};
  if (/\.py:/.test(project.config.predict ?? "")) {
    const { findPython } = await import("./python.js");
    const found = await findPython({ ...process.env, ...options.env });
    python = { COGTS_PYTHON: found.executable };
  }
  if (options.uploadUrl) args.push("--upload-url", options.uploadUrl);
  if (options.mode === "train") args.push("--x-mode", "train");
  const child = spawn(process.execPath, [serverEntryPoint(), ...args], {
    cwd: project.dir,
    env: {
      // As for containers cog runs: the server's own lines for people, warnings and errors only.
      LOG_FORMAT: "console",
      COG_LOG_LEVEL: process.env.COGTS_DEBUG ? "debug" : "warning",
      ...process.env,
      ...configEnvironment(project.config),
      PORT: String(options.port),
      COGTS_ANNOUNCE_PORT: "1",
      COGTS_LOAD_TYPESCRIPT: "1",
      COG_PREDICT_TYPE_STUB: project.config.predict!,
      ...(project.config.train ? { COG_TRAIN_TYPE_STUB: project.config.train } : {}),
      COG_OPENAPI_SCHEMA: project.schemaPath,
      ...(project.config.concurrency?.max ? { COG_MAX_CONCURRENCY: String(project.config.concurrency.max) } : {}),
      ...(options.allowLocalPaths ? { COGTS_ALLOW_LOCAL_INPUT_PATHS: "1" } : {}),
      // The server's stdin is a pipe that only this process holds open: when it dies, the server sees its end.
      COGTS_EXIT_WITH_PARENT: "1",
      ...options.env,
      ...python,
    },
    stdio: ["pipe", "pipe", options.stdio === "inherit" ? "inherit" : "pipe"],
  });
  const exited = new Promise<number>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))),
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let text = "";
    const onData = (d: Buffer) => {
      text += d.toString();
      const match = /listening on (\d+)\n/.exec(text);
      if (!match) return;
      child.stdout?.off("data", onData);
      const rest = text.slice(match.index + match[0].length);
      if (rest && options.stdio === "inherit") process.stdout.write(rest);
      if (options.stdio === "inherit") child.stdout?.pipe(process.stdout);
      resolve(Number(match[1]));
    };
    child.stdout?.on("data", onData);
    void exited.then((code) =>
      reject(
        new UserError(`the prediction server exited (code ${code}) before listening${stderr ? `:\n${stderr}` : ""}`),
      ),
    );
  });
  if (options.stdio !== "inherit") child.stdout?.resume();
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    process: child,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves once the local server's setup finished (src/predict's rule for the statuses); fails when it exits first. */
export async function waitForLocalServer(server: LocalServer, timeoutMs = 0): Promise<void> {
  let exited = false;
  void server.exited.then(() => (exited = true));
  await waitUntilReady(server.url, {
    timeoutMs,
    ended: () => (exited ? new UserError("the prediction server exited during setup") : undefined),
  });
}
