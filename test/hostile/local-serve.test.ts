/**
 * A local server does not outlive what started it, nor leave inputs behind (issue 14, item 18): `cog serve
 * --no-docker` killed with SIGKILL takes its server (and the worker) with it, and a shutdown removes the
 * downloaded input files of predictions still running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { childPids } from "../helpers/memory.js";
import { FIXTURES, serverEntry, type RunningServer } from "../server/helpers.js";
import { COG_BIN } from "../helpers/cli.js";
import { request } from "../helpers/http.js";
import { startReady } from "./helpers.js";

const started: number[] = [];
let scratch: string | undefined;

function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readStatus(pid));
}

function readStatus(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return "";
  }
}

async function until(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const inputDirs = (dir: string) => readdirSync(dir).filter((name) => name.startsWith("cogts-input-"));

function dataUrl(bytes: number): string {
  return `data:application/octet-stream;base64,${Buffer.alloc(bytes, 3).toString("base64")}`;
}

afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

describe("cog serve --no-docker", () => {
  it("exits, with its worker, when the CLI that started it is killed, and removes the running prediction's inputs", async () => {
    scratch = mkdtempSync(join(tmpdir(), "cogts-local-serve-"));
    const cli: ChildProcess = spawn(process.execPath, [COG_BIN, "serve", "--no-docker", "--port", "0"], {
      cwd: join(FIXTURES, "slow_file"),
      env: { ...process.env, COGTS_SERVER_ENTRY: serverEntry(), TMPDIR: scratch },
      stdio: ["ignore", "ignore", "pipe"],
    });
    started.push(cli.pid!);
    let stderr = "";
    cli.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    await until("Serving at", () => /Serving at (http:\/\/\S+)/.test(stderr), 120_000);
    const url = /Serving at (http:\/\/\S+)/.exec(stderr)![1]!;
    const [server] = childPids(cli.pid!);
    expect(server).toBeDefined();
    started.push(server!);
    for (let i = 0; i < 600; i++) {
      const health = await fetch(`${url}/health-check`)
        .then((r) => r.json() as Promise<{ status: string }>)
        .catch(() => undefined);
      if (health?.status === "READY") break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const worker = childPids(server!)[0];
    expect(worker).toBeDefined();
    started.push(worker!);
    const r = await request(`${url}/predictions`, {
      body: { input: { file: dataUrl(2000), seconds: 60, ignore_cancel: true } },
      headers: { prefer: "respond-async" },
    });
    expect(r.status).toBe(202);
    await until("the downloaded input", () => inputDirs(scratch!).length === 1);
    cli.kill("SIGKILL");
    await until("the server to exit", () => !alive(server!));
    await until("the worker to exit", () => !alive(worker!));
    expect(inputDirs(scratch)).toEqual([]);
  }, 300_000);
});

describe("shutdown", () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  for (const ignoreCancel of [true, false]) {
    it(`removes the downloaded inputs of a running prediction (${ignoreCancel ? "one that ignores cancel" : "one that stops when canceled"})`, async () => {
      scratch = mkdtempSync(join(tmpdir(), "cogts-shutdown-"));
      server = await startReady("slow_file", { env: { TMPDIR: scratch } });
      const r = await request(`${server.url}/predictions`, {
        body: { input: { file: dataUrl(5000), seconds: 60, ignore_cancel: ignoreCancel } },
        headers: { prefer: "respond-async" },
      });
      expect(r.status).toBe(202);
      await until("the downloaded input", () => inputDirs(scratch!).length === 1);
      const shutdown = await request(`${server.url}/shutdown`, { method: "POST" });
      expect(shutdown.status).toBe(200);
      expect(await server.exited).toBe(0);
      expect(inputDirs(scratch)).toEqual([]);
    }, 120_000);
  }
});
