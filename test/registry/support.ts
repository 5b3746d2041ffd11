/**
 * What the registry tests share: the test environment's addresses, images built in the real engine,
 * a temp cache/DOCKER_CONFIG per test, and a loopback proxy in front of a real registry that counts
 * upload bytes and injects faults.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { createServer, request as httpRequest } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { requireTestEnv, type TestEnv } from "../helpers/test-env.js";

const run = promisify(execFile);
export const ROOT = join(import.meta.dirname, "..", "..");

export type { TestEnv } from "../helpers/test-env.js";

/** The environment of `scripts/test-env up` (exported by `npm test`); async for the callers' convenience. */
export async function testEnv(): Promise<TestEnv> {
  return requireTestEnv();
}

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run("docker", args, { maxBuffer: 16 << 20, timeout: 600_000 });
  return stdout.trim();
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `cogts-${prefix}-`));
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}

/**
 * Builds a local image from the debian stand-in with a random-data "weights" layer of `bigMb` MB and a
 * small "code" layer whose content is `code`, plus labels. Returns the image name.
 */
export async function buildTestImage(
  name: string,
  options: { bigMb: number; code: string; labels?: Record<string, string>; seed?: string },
): Promise<string> {
  const dir = await tempDir("img");
  try {
    await writeFile(join(dir, "weights.bin"), pseudoRandom(options.bigMb * 1024 * 1024, options.seed ?? name));
    await writeFile(join(dir, "predict.sh"), `#!/bin/sh\necho "${options.code}"\n`, { mode: 0o755 });
    const labels = Object.entries(options.labels ?? {})
      .map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`)
      .join("\n");
    await writeFile(
      join(dir, "Dockerfile"),
      `FROM debian:bookworm-slim\nCOPY weights.bin /weights/weights.bin\nCOPY predict.sh /src/predict.sh\n${labels}\nCMD ["/src/predict.sh"]\n`,
    );
    await docker("build", "-q", "-t", name, dir);
    return name;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Deterministic incompressible bytes, so a rebuilt image with the same seed has the same weights layer. */
function pseudoRandom(size: number, seed: string): Buffer {
  const out = Buffer.allocUnsafe(size);
  let block = createHash("sha256").update(seed).digest();
  for (let off = 0; off < size; off += block.length) {
    block = createHash("sha256").update(block).digest();
    block.copy(out, off, 0, Math.min(block.length, size - off));
  }
  return out;
}

export interface Fault {
  /** Which requests it applies to. */
  match: (req: IncomingMessage) => boolean;
  /** What to do: reset the connection after `afterBytes` of the request body, reply with a status, or pass it on late. */
  action:
    { reset: { afterBytes: number } } | { status: number; headers?: Record<string, string> } | { delayMs: number };
  /** How many times it fires (default 1). */
  times?: number;
}

export interface FaultProxy {
  host: string;
  /** Request body bytes received by the proxy on blob upload requests (PATCH/PUT/POST to /blobs/uploads). */
  uploadBytes: number;
  requests: { method: string; url: string; status?: number; contentRange?: string }[];
  faults: Fault[];
  close(): Promise<void>;
}

/** A node:http proxy on 127.0.0.1 in front of `upstream` (host:port) that counts upload bytes and injects faults. */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const [upHost, upPort] = upstream.split(":");
  const state: FaultProxy = { host: "", uploadBytes: 0, requests: [], faults: [], close: async () => {} };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const entry: FaultProxy["requests"][number] = {
      method: req.method ?? "",
      url: req.url ?? "",
      contentRange: req.headers["content-range"],
    };
    state.requests.push(entry);
    const isUpload = /\/blobs\/uploads\//.test(req.url ?? "") && req.method !== "GET" && req.method !== "DELETE";
    const fault = state.faults.find((f) => (f.times ?? 1) > 0 && f.match(req));
    if (fault) fault.times = (fault.times ?? 1) - 1;
    if (fault && "status" in fault.action) {
      req.resume();
      entry.status = fault.action.status;
      res.writeHead(fault.action.status, { "content-type": "application/json", ...(fault.action.headers ?? {}) });
      res.end(JSON.stringify({ errors: [{ code: "INJECTED", message: `injected ${fault.action.status}` }] }));
      return;
    }
    if (fault && "delayMs" in fault.action) {
      setTimeout(() => forward(req, res, entry, isUpload, undefined), fault.action.delayMs);
      return;
    }
    forward(req, res, entry, isUpload, fault && "reset" in fault.action ? fault.action.reset.afterBytes : undefined);
  });
  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    entry: FaultProxy["requests"][number],
    isUpload: boolean,
    resetAfter: number | undefined,
  ): void {
    const upstreamReq = httpRequest(
      {
        host: upHost,
        port: Number(upPort),
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: state.host },
      },
      (upRes) => {
        entry.status = upRes.statusCode;
        const headers = { ...upRes.headers };
        // Absolute Locations from the registry must keep pointing at the proxy.
        if (typeof headers.location === "string")
          headers.location = headers.location.replace(`//${upstream}`, `//${state.host}`);
        res.writeHead(upRes.statusCode ?? 502, headers);
        upRes.pipe(res);
      },
    );
    upstreamReq.on("error", () => res.destroy());
    let seen = 0;
    req.on("data", (chunk: Buffer) => {
      if (isUpload) state.uploadBytes += chunk.length;
      seen += chunk.length;
      if (resetAfter !== undefined && seen >= resetAfter) {
        upstreamReq.destroy();
        req.socket.destroy();
        return;
      }
      upstreamReq.write(chunk);
    });
    req.on("end", () => upstreamReq.end());
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
