/**
 * `bin/cog.js` finds the engine as users have it: DOCKER_HOST unset (the default socket /var/run/docker.sock),
 * a Docker context in DOCKER_CONFIG, a tcp:// host, and none reachable. Real engine, real builds (a BuildKit
 * session serving a secret), real containers and the open test registry.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, dockerClient, requireTestEnv, uniqueName } from "../helpers/test-env.js";
import { ensureDistBuilt } from "../helpers/dist.js";
import { COG_BIN, runCog, type CliResult } from "../helpers/cli.js";

/** Builds and containers on a shared 2-core machine: minutes under load, not the default 60 s. */
const HEAVY_TEST_MS = 600_000;
const DEFAULT_SOCKET = "/var/run/docker.sock";
const scratch = mkdtempSync(path.join(tmpdir(), "cogts-engine-discovery-"));
const images: string[] = [];
let docker: Docker;

/** The environment of a user who never set DOCKER_HOST nor ran the docker CLI (an empty DOCKER_CONFIG). */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const {
    DOCKER_HOST: _host,
    DOCKER_CONTEXT: _context,
    DOCKER_TLS_VERIFY: _verify,
    DOCKER_CERT_PATH: _certs,
    ...rest
  } = process.env;
  return { ...rest, DOCKER_CONFIG: emptyConfig, ...extra };
}

function cog(cwd: string, args: string[], env: NodeJS.ProcessEnv = userEnv()): Promise<CliResult> {
  return runCog(args, { cwd, env });
}

/** A DOCKER_CONFIG whose current context `name` points at `host`, written as `docker context create` does. */
function contextConfig(name: string, host: string): string {
  const dir = mkdtempSync(path.join(scratch, "docker-config-"));
  writeFileSync(path.join(dir, "config.json"), JSON.stringify({ auths: {}, currentContext: name }));
  const meta = path.join(dir, "contexts", "meta", createHash("sha256").update(name).digest("hex"));
  mkdirSync(meta, { recursive: true });
  writeFileSync(
    path.join(meta, "meta.json"),
    JSON.stringify({
      Name: name,
      Metadata: { Description: "cogts test" },
      Endpoints: { docker: { Host: host, SkipTLSVerify: false } },
    }),
  );
  return dir;
}

/** A tcp://127.0.0.1 front for the engine's unix socket, counting the connections it carried. */
async function tcpForwarder(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    connections++;
    const engine = net.connect(DEFAULT_SOCKET);
    for (const socket of [client, engine]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    }
    client.pipe(engine).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A TLS front (certificate for 127.0.0.1, made with openssl) for the engine's unix socket; its CA as DOCKER_CERT_PATH. */
async function tlsForwarder(): Promise<{
  port: number;
  certDir: string;
  connections: () => number;
  close: () => Promise<void>;
}> {
  const certDir = mkdtempSync(path.join(scratch, "certs-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      path.join(certDir, "server-key.pem"),
      "-out",
      path.join(certDir, "ca.pem"),
    ],
    { stdio: "ignore" },
  );
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    { key: readFileSync(path.join(certDir, "server-key.pem")), cert: readFileSync(path.join(certDir, "ca.pem")) },
    (client) => {
      connections++;
      const engine = net.connect(DEFAULT_SOCKET);
      for (const socket of [client, engine]) {
        sockets.add(socket);
        socket.on("error", () => undefined);
        socket.on("close", () => sockets.delete(socket));
      }
      client.pipe(engine).pipe(client);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    certDir,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let emptyConfig: string;
let project: string;
let secretFile: string;
let tag: string;
const secretArgs = () => ["--secret", `id=token,src=${secretFile}`];

beforeAll(async () => {
  requireTestEnv();
  await ensureDistBuilt();
  docker = await dockerClient();
  emptyConfig = mkdtempSync(path.join(scratch, "empty-docker-config-"));
  project = path.join(scratch, "hello");
  cpSync(path.join(REPO_ROOT, "fixtures", "projects", "hello"), project, { recursive: true });
  tag = uniqueName("cogts-test-engine-discovery");
  images.push(tag, `${tag}-base`);
  writeFileSync(
    path.join(project, "cog.yaml"),
    [
      // Every command that builds the project (exec, serve, push) builds this name, which afterAll removes.
      `image: ${tag}`,
      "build:",
      '  node_version: "22"',
      "  run:",
      "    - command: cut -c1-6 /run/secrets/token > /etc/token-prefix",
      "      mounts:",
      "        - type: secret",
      "          id: token",
      "          target: /run/secrets/token",
      "run: predict.ts:Predictor",
      "",
    ].join("\n"),
  );
  secretFile = path.join(scratch, "token.txt");
  writeFileSync(secretFile, "s3cr3t-token-value\n");
});

afterAll(async () => {
  for (const image of images)
    await docker
      ?.getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
});

describe("with DOCKER_HOST unset (the default socket)", () => {
  it(
    "builds with a --secret served over the BuildKit session",
    async () => {
      const built = await cog(project, ["build", "-t", tag, "--progress", "plain", ...secretArgs()]);
      expect(built.stderr).not.toContain("bug in cogts");
      expect(built.code, built.stderr.slice(-1500)).toBe(0);
      expect(built.stderr).toContain(`Image built as ${tag}`);
    },
    HEAVY_TEST_MS,
  );

  it(
    "runs a prediction in a container of the image",
    async () => {
      const result = await cog(scratch, ["run", tag, "-i", "name=socket"]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe("hello socket");
    },
    HEAVY_TEST_MS,
  );

  it(
    "execs a command in the project's image, which holds what the secret step wrote",
    async () => {
      const result = await cog(project, [
        "exec",
        "--progress",
        "quiet",
        ...secretArgs(),
        "--",
        "cat",
        "/etc/token-prefix",
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe("s3cr3t");
    },
    HEAVY_TEST_MS,
  );

  it(
    "serves the project until interrupted",
    async () => {
      const { freePort } = await import("../../src/docker/container.js");
      const port = await freePort();
      const child = spawn(
        process.execPath,
        [COG_BIN, "serve", "-p", String(port), "--progress", "quiet", ...secretArgs()],
        { cwd: project, env: userEnv(), stdio: ["ignore", "pipe", "pipe"] },
      );
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
      try {
        for (let i = 0; i < 900 && !stderr.includes("Serving at") && child.exitCode === null; i++)
          await new Promise((r) => setTimeout(r, 100));
        expect(stderr).toContain(`Serving at http://127.0.0.1:${port}`);
        const response = await fetch(`http://127.0.0.1:${port}/predictions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ input: { name: "served" } }),
        });
        expect(await response.json()).toMatchObject({ status: "succeeded", output: "hello served" });
      } finally {
        child.kill("SIGINT");
      }
      expect(await exited).toBe(130);
    },
    HEAVY_TEST_MS,
  );

  it(
    "pushes the image to a registry",
    async () => {
      const target = `${requireTestEnv().registry}/${uniqueName("engine-discovery")}:v1`;
      images.push(target);
      const result = await cog(project, ["push", target, "--progress", "quiet", ...secretArgs()]);
      expect(result.code, result.stderr.slice(-1500)).toBe(0);
      const [repository, reference] = target.slice(target.indexOf("/") + 1).split(":") as [string, string];
      const manifest = await fetch(`http://${requireTestEnv().registry}/v2/${repository}/manifests/${reference}`, {
        method: "HEAD",
        headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
      });
      expect(manifest.status).toBe(200);
    },
    HEAVY_TEST_MS,
  );

  it(
    "doctor finds the engine and says where it looked",
    async () => {
      const result = await cog(project, ["doctor"]);
      expect(result.stdout).toContain(`at unix://${DEFAULT_SOCKET} (the default socket), BuildKit available.`);
      expect(result.code, result.stdout).toBe(0);
    },
    HEAVY_TEST_MS,
  );
});

describe("a Docker context", () => {
  it(
    "is followed to its endpoint (here the default socket)",
    async () => {
      const config = contextConfig("cogts-test-context", `unix://${DEFAULT_SOCKET}`);
      const doctor = await cog(project, ["doctor"], userEnv({ DOCKER_CONFIG: config }));
      expect(doctor.stdout).toContain(
        `at unix://${DEFAULT_SOCKET} (Docker context "cogts-test-context"), BuildKit available.`,
      );
      expect(doctor.code).toBe(0);
      const run = await cog(scratch, ["run", tag, "-i", "name=context"], userEnv({ DOCKER_CONFIG: config }));
      expect(run.stdout.trim()).toBe("hello context");
    },
    HEAVY_TEST_MS,
  );

  it(
    "that points nowhere gives one line naming the context, and exit 1",
    async () => {
      const socket = path.join(scratch, "no-engine.sock");
      const config = contextConfig("gone-engine", `unix://${socket}`);
      const result = await cog(project, ["build", "-t", tag, ...secretArgs()], userEnv({ DOCKER_CONFIG: config }));
      expect(result.code).toBe(1);
      expect(result.stderr.trimEnd().split("\n")).toEqual([
        `Error: No Docker engine at unix://${socket} (from Docker context "gone-engine"): start one (\`sudo systemctl start docker\`, or \`sudo dockerd &\`), or point \`docker context use NAME\` at a running engine.`,
      ]);
    },
    HEAVY_TEST_MS,
  );
});

describe("a tcp:// DOCKER_HOST", () => {
  it(
    "carries the build with its secrets session and a prediction",
    async () => {
      const forwarder = await tcpForwarder();
      try {
        const env = userEnv({ DOCKER_HOST: `tcp://127.0.0.1:${forwarder.port}` });
        const built = await cog(project, ["build", "-t", tag, "--progress", "plain", ...secretArgs()], env);
        expect(built.code, built.stderr.slice(-1500)).toBe(0);
        const afterBuild = forwarder.connections();
        // The API connection and the session's own connection at least.
        expect(afterBuild).toBeGreaterThanOrEqual(2);
        const run = await cog(scratch, ["run", tag, "-i", "name=tcp"], env);
        expect(run.stdout.trim()).toBe("hello tcp");
        expect(forwarder.connections()).toBeGreaterThan(afterBuild);
      } finally {
        await forwarder.close();
      }
    },
    HEAVY_TEST_MS,
  );

  it(
    "with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH goes over verified TLS, secrets session included",
    async () => {
      const forwarder = await tlsForwarder();
      try {
        const env = userEnv({
          DOCKER_HOST: `tcp://127.0.0.1:${forwarder.port}`,
          DOCKER_TLS_VERIFY: "1",
          DOCKER_CERT_PATH: forwarder.certDir,
        });
        const built = await cog(project, ["build", "-t", tag, "--progress", "plain", ...secretArgs()], env);
        expect(built.code, built.stderr.slice(-1500)).toBe(0);
        expect(forwarder.connections()).toBeGreaterThanOrEqual(2);
        // Without the CA the certificate is not trusted: one line, exit 1, nothing sent in clear.
        const untrusted = await cog(project, ["build", "-t", tag, ...secretArgs()], {
          ...env,
          DOCKER_CERT_PATH: emptyConfig,
        });
        expect(untrusted.code).toBe(1);
        expect(untrusted.stderr.trimEnd().split("\n")).toHaveLength(1);
        expect(untrusted.stderr).toContain(`tcp://127.0.0.1:${forwarder.port} (from DOCKER_HOST)`);
      } finally {
        await forwarder.close();
      }
    },
    HEAVY_TEST_MS,
  );

  it(
    "that nothing answers gives one line with the address and its source, and exit 1",
    async () => {
      const port = await closedPort();
      for (const args of [["build"], ["run", tag, "-i", "name=x"], ["exec", "--", "true"]]) {
        const result = await cog(project, args, userEnv({ DOCKER_HOST: `tcp://127.0.0.1:${port}` }));
        expect(result.code).toBe(1);
        const lines = result.stderr.trimEnd().split("\n");
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(`No Docker engine at tcp://127.0.0.1:${port} (from DOCKER_HOST)`);
        expect(lines[0]).toContain("start one");
      }
    },
    HEAVY_TEST_MS,
  );
});
