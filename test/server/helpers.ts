/**
 * Starts the real server process over a fixture predictor. The runtime is transpiled (no type check) into
 * node_modules/.cache so the tests do not depend on a full `npm run build` of everyone's code.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const FIXTURES = join(ROOT, "fixtures", "predictors");

let runtimeDir: string | undefined;

function transpileTree(from: string, to: string): void {
  for (const entry of readdirSync(from)) {
    const source = join(from, entry);
    if (statSync(source).isDirectory()) {
      transpileTree(source, join(to, entry));
      continue;
    }
    if (entry.endsWith(".py")) {
      // cogts's Python SDK and worker (runtime/python) run as they are.
      mkdirSync(to, { recursive: true });
      writeFileSync(join(to, entry), readFileSync(source));
      continue;
    }
    if (!entry.endsWith(".ts")) continue;
    const output = ts.transpileModule(readFileSync(source, "utf8"), {
      fileName: source,
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    });
    mkdirSync(to, { recursive: true });
    writeFileSync(join(to, entry.replace(/\.ts$/, ".js")), output.outputText);
  }
}

/** Copies left by test processes that have ended. */
function removeStaleCopies(base: string): void {
  if (!existsSync(base)) return;
  for (const entry of readdirSync(base)) {
    const pid = Number.parseInt(entry, 10);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      rmSync(join(base, entry), { recursive: true, force: true });
    }
  }
}

/** The server entry point, transpiled from runtime/ once per test process. */
export function serverEntry(): string {
  if (!runtimeDir) {
    const base = join(ROOT, "node_modules", ".cache", "cogts-server-test");
    removeStaleCopies(base);
    const dir = join(base, String(process.pid));
    const staging = `${dir}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    transpileTree(join(ROOT, "runtime"), join(staging, "runtime"));
    writeFileSync(join(staging, "package.json"), JSON.stringify({ name: "cogts-test-runtime", type: "module" }));
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    runtimeDir = dir;
  }
  return join(runtimeDir, "runtime", "server", "main.js");
}

export interface RunningServer {
  url: string;
  port: number;
  process: ChildProcess;
  output: () => string;
  health(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
  waitFor(status: string | string[], timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

export interface StartOptions {
  env?: Record<string, string>;
  args?: string[];
  ref?: string;
  /** Wait until this health status (default READY); null to not wait. */
  waitFor?: string | string[] | null;
}

/** Starts the server over fixtures/predictors/<fixture>, with fast webhook retries for the retry tests. */
export function startServer(fixture: string, options: StartOptions = {}): Promise<RunningServer> {
  return startServerIn(join(FIXTURES, fixture), {
    ...options,
    env: { COGTS_WEBHOOK_RETRY_BASE_MS: "20", ...options.env },
  });
}

/** Starts the real server process over the predictor project in `dir` (its openapi.json is the schema). */
export async function startServerIn(dir: string, options: StartOptions = {}): Promise<RunningServer> {
  const schema = join(dir, "openapi.json");
  const child = spawn(process.execPath, [serverEntry(), "--host", "127.0.0.1", ...(options.args ?? [])], {
    cwd: dir,
    env: {
      ...process.env,
      PORT: "0",
      COGTS_ANNOUNCE_PORT: "1",
      COGTS_LOAD_TYPESCRIPT: "1",
      COG_PREDICT_TYPE_STUB: options.ref ?? "predict.ts:Predictor",
      COG_OPENAPI_SCHEMA: existsSync(schema) ? schema : join(dir, "missing.json"),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let text = "";
    child.stdout!.on("data", (d: Buffer) => {
      text += d.toString();
      const match = /listening on (\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening:\n${output}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const health = async () => (await (await fetch(`${url}/health-check`)).json()) as Record<string, unknown>;
  const server: RunningServer = {
    url,
    port,
    process: child,
    output: () => output,
    health,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    },
    async waitFor(status, timeoutMs = 20_000) {
      const wanted = Array.isArray(status) ? status : [status];
      const deadline = Date.now() + timeoutMs;
      let last: Record<string, unknown> = {};
      while (Date.now() < deadline) {
        last = await health();
        if (wanted.includes(last.status as string)) return last;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`health never reached ${wanted.join("/")}: ${JSON.stringify(last)}\n${output}`);
    },
  };
  if (options.waitFor !== null) await server.waitFor(options.waitFor ?? "READY");
  return server;
}

export function relativeToRoot(path: string): string {
  return relative(ROOT, path);
}
