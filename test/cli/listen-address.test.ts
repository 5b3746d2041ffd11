/**
 * `cog serve` and `cog run` in Docker are reachable only from this machine unless `--host` says otherwise, also
 * when the engine gives containers the host's network (the test engine has no bridge: `--bridge=none`). There is
 * no port mapping to restrict then, so the server itself must bind 127.0.0.1.
 *
 * What is verified: a TCP connection to the server's port on an address of this machine that is not loopback
 * (an interface address from os.networkInterfaces(), or, on a machine with none, the second loopback alias
 * 127.0.0.2, which a socket bound to 127.0.0.1 does not answer either) is refused by default, and accepted with
 * `cog serve --host 0.0.0.0`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/docker/container.js";
import { COG_BIN } from "../helpers/cli.js";
import { REPO_ROOT, dockerClient, requireTestEnv, uniqueName } from "../helpers/test-env.js";
import { ensureDistBuilt } from "../helpers/dist.js";

/** Builds and containers on a shared 2-core machine: minutes under load, not the default 60 s. */
const HEAVY_TEST_MS = 600_000;
const scratch = mkdtempSync(path.join(tmpdir(), "cogts-listen-"));
const tag = uniqueName("cogts-test-listen");
let docker: Docker;
let project: string;

/** An IPv4 address of this machine that is not loopback, else 127.0.0.2. */
function otherAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === "IPv4" && !address.internal) return address.address;
  }
  return "127.0.0.2";
}

/** Whether something accepts a TCP connection at host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(3000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** `cog serve` until it says "Serving at"; the caller interrupts it. */
async function serve(args: string[]): Promise<{ child: ChildProcess; exited: Promise<number>; stderr: () => string }> {
  const child = spawn(process.execPath, [COG_BIN, "serve", "--progress", "quiet", ...args], {
    cwd: project,
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
  for (let i = 0; i < 1200 && !stderr.includes("Serving at") && child.exitCode === null; i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(stderr, stderr.slice(-1500)).toContain("Serving at");
  return { child, exited, stderr: () => stderr };
}

beforeAll(async () => {
  requireTestEnv();
  await ensureDistBuilt();
  docker = await dockerClient();
  project = path.join(scratch, "hello");
  cpSync(path.join(REPO_ROOT, "fixtures", "projects", "hello"), project, { recursive: true });
  writeFileSync(path.join(project, "cog.yaml"), `image: ${tag}\nrun: predict.ts:Predictor\n`);
  // A prediction that lasts long enough to probe cog run's server while it runs.
  const predictor = readFileSync(path.join(project, "predict.ts"), "utf8").replace(
    "return `${this.greeting} ${name}`;",
    'if (name === "slow") await new Promise((resolve) => setTimeout(resolve, 6000));\n    return `${this.greeting} ${name}`;',
  );
  writeFileSync(path.join(project, "predict.ts"), predictor);
});

afterAll(async () => {
  for (const image of [tag, `${tag}-base`])
    await docker
      ?.getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
});

describe("cog serve", () => {
  it(
    "listens on 127.0.0.1 only by default, and on every interface with --host 0.0.0.0",
    async () => {
      const other = otherAddress();
      const port = await freePort();
      const local = await serve(["-p", String(port)]);
      try {
        expect(local.stderr()).toContain(`Serving at http://127.0.0.1:${port}`);
        expect(await accepts("127.0.0.1", port)).toBe(true);
        expect(await accepts(other, port)).toBe(false);
      } finally {
        local.child.kill("SIGINT");
      }
      expect(await local.exited).toBe(130);

      const exposedPort = await freePort();
      const exposed = await serve(["-p", String(exposedPort), "--host", "0.0.0.0"]);
      try {
        expect(await accepts(other, exposedPort)).toBe(true);
        const health = await fetch(`http://${other}:${exposedPort}/health-check`);
        expect(((await health.json()) as { status: string }).status).toBe("READY");
      } finally {
        exposed.child.kill("SIGINT");
      }
      expect(await exposed.exited).toBe(130);
    },
    HEAVY_TEST_MS,
  );

  it(
    "refuses a --host that is not an IP address",
    async () => {
      const child = spawn(process.execPath, [COG_BIN, "serve", "--host", "every-interface"], {
        cwd: project,
        env: process.env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? -1)));
      expect(code).toBe(2);
      expect(stderr).toContain("--host must be an IP address");
    },
    HEAVY_TEST_MS,
  );
});

describe("cog run", () => {
  it(
    "serves the prediction on 127.0.0.1 only",
    async () => {
      const other = otherAddress();
      const child = spawn(process.execPath, [COG_BIN, "run", "--progress", "quiet", "-i", "name=slow"], {
        cwd: project,
        env: process.env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
      try {
        for (let i = 0; i < 1200 && !stderr.includes("Running prediction") && child.exitCode === null; i++)
          await new Promise((r) => setTimeout(r, 100));
        expect(stderr, stderr.slice(-1500)).toContain("Running prediction");
        const [summary] = await docker.listContainers({
          filters: { label: ["run.cog.cogts-started=true"], ancestor: [tag] },
        });
        expect(summary).toBeDefined();
        const info = await docker.getContainer(summary!.Id).inspect();
        // Host networking: the port is in PORT; with a bridge it would be the published port.
        const hostNetwork = info.HostConfig.NetworkMode === "host";
        const port = hostNetwork
          ? Number(info.Config.Env.find((entry) => entry.startsWith("PORT="))!.slice(5))
          : Number(info.HostConfig.PortBindings["5000/tcp"][0].HostPort);
        expect(await accepts("127.0.0.1", port)).toBe(true);
        expect(await accepts(other, port)).toBe(false);
      } catch (err) {
        // Ctrl-C makes cog run remove its container; a failed test must not leave one running.
        child.kill("SIGINT");
        await exited;
        throw err;
      }
      expect(await exited).toBe(0);
      expect(stdout.trim()).toBe("hello slow");
    },
    HEAVY_TEST_MS,
  );
});
