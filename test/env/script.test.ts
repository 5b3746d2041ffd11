// scripts/test-env itself: a second instance with its own state dir and ports (sharing the engine
// and the stand-ins of the main one) shows what `up` prints, that it is idempotent, that `down`
// stops only what `up` started, and that a port held by something else is a clear error.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/docker/container.js";
import { dockerClient, requireTestEnv, TEST_ENV_SCRIPT } from "../helpers/test-env.js";

interface ScriptResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function runScript(args: string[], env: NodeJS.ProcessEnv): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    execFile(TEST_ENV_SCRIPT, args, { env: { ...process.env, ...env }, timeout: 300_000 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      if (err && typeof code !== "number") return reject(err);
      resolve({ exitCode: typeof code === "number" ? code : 0, stdout, stderr });
    });
  });
}

function parseExports(stdout: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of stdout.trimEnd().split("\n")) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line);
    if (!match) throw new Error(`not an export line: ${JSON.stringify(line)}`);
    values[match[1]!] = match[2]!;
  }
  return values;
}

describe("scripts/test-env, as a second instance", () => {
  let stateDir: string;
  let instanceEnv: NodeJS.ProcessEnv;
  let port: number;
  let authPort: number;

  beforeAll(async () => {
    requireTestEnv();
    stateDir = await mkdtemp(join(tmpdir(), "cogts-test-env-state-"));
    port = await freePort();
    authPort = await freePort();
    instanceEnv = {
      COGTS_TEST_ENV_STATE: stateDir,
      COGTS_TEST_REGISTRY_PORT: String(port),
      COGTS_TEST_AUTH_REGISTRY_PORT: String(authPort),
    };
  });

  afterAll(async () => {
    await runScript(["down"], instanceEnv).catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
  });

  it("`up` prints only export lines, and they describe registries that answer", async () => {
    const up = await runScript(["up"], instanceEnv);
    expect(up.exitCode, up.stderr).toBe(0);
    const exported = parseExports(up.stdout);
    expect(Object.keys(exported).sort()).toEqual([
      "COGTS_BASE_IMAGE_MIRROR",
      "COGTS_CA_CERT",
      "COGTS_TEST_AUTH_PASSWORD",
      "COGTS_TEST_AUTH_REGISTRY",
      "COGTS_TEST_AUTH_USER",
      "COGTS_TEST_REGISTRY",
      "DOCKER_HOST",
    ]);
    // Builds trust what this machine trusts (a TLS-inspecting proxy's CA included) unless told otherwise.
    expect(existsSync(exported.COGTS_CA_CERT!)).toBe(true);
    expect(exported.COGTS_TEST_REGISTRY).toBe(`127.0.0.1:${port}`);
    expect(exported.COGTS_TEST_AUTH_REGISTRY).toBe(`127.0.0.1:${authPort}`);
    expect(exported.COGTS_BASE_IMAGE_MIRROR).toBe(requireTestEnv().baseImageMirror);
    expect((await fetch(`http://127.0.0.1:${port}/v2/`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${authPort}/v2/`)).status).toBe(401);
    const authorization = `Basic ${Buffer.from(`${exported.COGTS_TEST_AUTH_USER}:${exported.COGTS_TEST_AUTH_PASSWORD}`).toString("base64")}`;
    expect((await fetch(`http://127.0.0.1:${authPort}/v2/`, { headers: { authorization } })).status).toBe(200);
  });

  it("a second `up` reuses the running registries and keeps the password", async () => {
    const pidBefore = await readFile(join(stateDir, "registry", "pid"), "utf8");
    const first = parseExports((await runScript(["up"], instanceEnv)).stdout);
    const again = await runScript(["up"], instanceEnv);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(parseExports(again.stdout)).toEqual(first);
    expect(again.stderr).not.toMatch(/starting registry/);
    expect(await readFile(join(stateDir, "registry", "pid"), "utf8")).toBe(pidBefore);
  });

  it("`down` stops the registries it started and leaves an engine it did not start running", async () => {
    const down = await runScript(["down"], instanceEnv);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/stopping registry/);
    await expect(fetch(`http://127.0.0.1:${port}/v2/`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${authPort}/v2/`)).rejects.toThrow();
    const client = await dockerClient();
    expect((await client.version()).Version).toBeTruthy();
    const status = await runScript(["status"], instanceEnv);
    expect(status.stdout).toContain(`127.0.0.1:${port} not answering`);
  });

  it("a registry port held by something that is not a registry is a clear error", async () => {
    const squatter: Server = createServer((_req, res) => res.end("not a registry"));
    const squatterPort = await new Promise<number>((resolve) =>
      squatter.listen(0, "127.0.0.1", () => resolve((squatter.address() as { port: number }).port)),
    );
    try {
      const up = await runScript(["up"], { ...instanceEnv, COGTS_TEST_REGISTRY_PORT: String(squatterPort) });
      expect(up.exitCode).toBe(1);
      expect(up.stdout).toBe("");
      expect(up.stderr).toContain(`port 127.0.0.1:${squatterPort} is taken by something that is not a registry`);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it("an unknown command prints the usage and exits 2", async () => {
    const result = await runScript(["sideways"], instanceEnv);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/usage: scripts\/test-env up\|down\|status\|standin/);
  });
});
