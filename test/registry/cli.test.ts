/**
 * `cog push` and `cog login` as users run them: the compiled CLI in a child process, against the test
 * environment's registries and the real engine.
 */
import { spawn } from "node:child_process";
import { cpSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectRemoteImage } from "../../src/registry/inspect.js";
import { startModelServer, withContainer } from "../../src/docker/container.js";
import { waitForContainer } from "../../src/predict/index.js";
import { ROOT, buildTestImage, docker, tempDir, testEnv, uniqueName } from "./support.js";
import type { TestEnv } from "./support.js";
import { ensureDistBuilt } from "../helpers/dist.js";

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cog(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "bin", "cog.js"), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

describe("cog push and cog login on the command line", () => {
  let env: TestEnv;
  let scratch: string;
  let cacheDir: string;
  let dockerConfig: string;
  const cleanup: string[] = [];
  const cliEnv = () => ({ COGTS_CACHE_DIR: cacheDir, DOCKER_CONFIG: dockerConfig });

  beforeAll(async () => {
    env = await testEnv();
    await ensureDistBuilt();
    scratch = await tempDir("cli");
    cacheDir = await tempDir("cache");
    dockerConfig = await tempDir("docker-config");
  });
  afterAll(async () => {
    for (const image of cleanup) await docker("rmi", "-f", image).catch(() => undefined);
    for (const dir of [scratch, cacheDir, dockerConfig]) await rm(dir, { recursive: true, force: true });
  });

  it("builds with a push id, pushes, prints the digest, and the pulled image serves predictions", async () => {
    const dir = join(scratch, "hello");
    cpSync(join(ROOT, "fixtures", "projects", "hello"), dir, { recursive: true });
    const repo = `${env.registry}/${uniqueName("hello")}`;
    cleanup.push(repo);
    const result = await cog(["push", repo], { cwd: dir, env: cliEnv() });
    expect(result.stderr).not.toContain("bug in cogts");
    expect(result.code, result.stderr).toBe(0);
    const printed = result.stdout.trim();
    expect(printed).toMatch(new RegExp(`^${repo.replace(/\./g, "\\.")}@sha256:[0-9a-f]{64}$`));

    const remote = await inspectRemoteImage(printed);
    expect(remote.labels["run.cog.push_id"]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(JSON.parse(remote.labels["run.cog.openapi_schema"]!)).toHaveProperty("components.schemas.Input");

    await docker("rmi", "-f", `${repo}:latest`);
    await docker("pull", "-q", printed);
    cleanup.push(printed);
    const engine = new Docker();
    const { url, container } = await startModelServer({ docker: engine, image: printed });
    const body = await withContainer(container, async () => {
      await waitForContainer(url, container, 120_000);
      const response = await fetch(`${url}/predictions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input: { name: "registry" } }),
      });
      return (await response.json()) as { status: string; output: unknown };
    });
    expect(body).toMatchObject({ status: "succeeded", output: "hello registry" });
  }, 600_000);

  it("pushes an existing image with --no-build, and a second push gives the same digest", async () => {
    const repo = `${env.registry}/${uniqueName("nobuild")}`;
    const image = await buildTestImage(`${repo}:v1`, { bigMb: 1, code: "no build" });
    cleanup.push(image);
    const first = await cog(["push", "--no-build", image], { env: cliEnv() });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/Pushed|Layer already exists/);
    const second = await cog(["push", "--no-build", image], { env: cliEnv() });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toContain("Layer already exists");
  });

  it("says there is no such local image with --no-build", async () => {
    const result = await cog(["push", "--no-build", `${env.registry}/${uniqueName("missing")}:v1`], { env: cliEnv() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("There is no local image");
    expect(result.stderr).not.toContain("bug in cogts");
  });

  it("explains where the image name comes from when there is none", async () => {
    const dir = join(scratch, "noimage");
    cpSync(join(ROOT, "fixtures", "projects", "hello"), dir, { recursive: true });
    const result = await cog(["push"], { cwd: dir, env: cliEnv() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("set the 'image' option in cog.yaml or pass an image name");
  });

  it("offers zstd only where node can compress it", async () => {
    const result = await cog(["push", "--no-build", "--compression", "zstd", `${env.registry}/zstd:v1`], {
      env: cliEnv(),
    });
    if (typeof ((await import("node:zlib")) as Record<string, unknown>).createZstdCompress !== "function") {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("zstd compression needs Node 22.15+");
    } else {
      expect(result.stderr).not.toContain("zstd compression needs");
    }
  });

  it("logs in with --password-stdin against the basic-auth registry", async () => {
    const result = await cog(["login", env.authRegistry, "-u", env.authUser, "--password-stdin"], {
      env: cliEnv(),
      input: `${env.authPassword}\n`,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`authenticated as ${env.authUser}`);
    const saved = JSON.parse(await readFile(join(dockerConfig, "config.json"), "utf8")) as {
      auths: Record<string, { auth: string }>;
    };
    expect(Buffer.from(saved.auths[env.authRegistry]!.auth, "base64").toString()).toBe(
      `${env.authUser}:${env.authPassword}`,
    );
  });

  describe("token login", () => {
    let server: Server;
    let host: string;
    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = "";
        req.on("data", (d: Buffer) => {
          body += d.toString();
        });
        req.on("end", () => {
          if (req.url === "/cog/v1/display-token-url")
            res.writeHead(200).end(JSON.stringify({ url: "https://example.invalid/token" }));
          else if (req.url === "/cog/v1/verify-token" && new URLSearchParams(body).get("token") === "cli-token")
            res.writeHead(200).end(JSON.stringify({ username: "cli-user" }));
          else res.writeHead(404).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it("accepts a token on stdin", async () => {
      await writeFile(join(dockerConfig, "config.json"), "{}");
      const result = await cog(["login", host, "--token-stdin"], { env: cliEnv(), input: "cli-token\n" });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain("authenticated as cli-user");
    });

    it("refuses an API token", async () => {
      const result = await cog(["login", host, "--token-stdin"], { env: cliEnv(), input: "r8_secret\n" });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("Replicate API token");
    });
  });
});
