/**
 * What tests need from the real test environment that `scripts/test-env up` prepares (engine,
 * open registry, auth registry, stand-in base images). `npm test` (scripts/test.sh) evals its
 * exports before vitest starts; a bare `npx vitest run` needs `eval "$(scripts/test-env up)"` first.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { demultiplexedText } from "../../src/docker/container.js";

const execFileAsync = promisify(execFile);

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const TEST_ENV_SCRIPT = join(REPO_ROOT, "scripts", "test-env");

export interface TestEnv {
  /** unix:///var/run/docker.sock or whatever engine `up` found. */
  dockerHost: string;
  /** Hostname the stand-ins are tagged under (COGTS_BASE_IMAGE_MIRROR). */
  baseImageMirror: string;
  /** host:port of the registry without auth. */
  registry: string;
  /** host:port of the registry with htpasswd auth. */
  authRegistry: string;
  authUser: string;
  authPassword: string;
}

const VARIABLES = {
  dockerHost: "DOCKER_HOST",
  baseImageMirror: "COGTS_BASE_IMAGE_MIRROR",
  registry: "COGTS_TEST_REGISTRY",
  authRegistry: "COGTS_TEST_AUTH_REGISTRY",
  authUser: "COGTS_TEST_AUTH_USER",
  authPassword: "COGTS_TEST_AUTH_PASSWORD",
} as const satisfies Record<keyof TestEnv, string>;

/** The environment's settings, or an error that says how to bring it up. Never a silent skip. */
export function requireTestEnv(): TestEnv {
  const missing = Object.values(VARIABLES).filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(
      `The test environment is not set up (missing ${missing.join(", ")}). ` +
        `Run the tests with \`npm test\`, or first run \`eval "$(scripts/test-env up)"\` in this shell ` +
        `(as root on Debian it installs and starts the Docker engine, the test registries and the stand-in base images).`,
    );
  }
  const env = {} as TestEnv;
  for (const [key, name] of Object.entries(VARIABLES) as [keyof TestEnv, string][]) env[key] = process.env[name]!;
  return env;
}

/** A dockerode client for the test engine (honours DOCKER_HOST like cogts itself). */
export async function dockerClient(): Promise<Docker> {
  requireTestEnv();
  const { connectEngine } = await import("../../src/docker/engine.js");
  return connectEngine();
}

let counter = 0;
/** A name no other test, worker or concurrent run uses; valid as an image repository or container name. */
export function uniqueName(prefix: string): string {
  const safePrefix = prefix.toLowerCase().replace(/[^a-z0-9._-]+/g, "-");
  return `${safePrefix}-${process.pid}-${randomBytes(3).toString("hex")}-${++counter}`;
}

/**
 * Where a base image is found under the mirror, the way cogts rewrites it: Docker Hub path layout,
 * `library/` for official images; names that already name a registry host stay as they are.
 */
export function mirrorOf(image: string, mirror: string = requireTestEnv().baseImageMirror): string {
  const first = image.split("/")[0]!;
  const hasRegistryHost = image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasRegistryHost) return image;
  return image.includes("/") ? `${mirror}/${image}` : `${mirror}/library/${image}`;
}

/** Makes stand-in images for more base names (e.g. `node:18-bookworm-slim`) via `scripts/test-env standin`. */
export async function ensureStandIn(...images: string[]): Promise<void> {
  if (images.length === 0) return;
  requireTestEnv();
  try {
    await execFileAsync(TEST_ENV_SCRIPT, ["standin", ...images], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`scripts/test-env standin ${images.join(" ")} failed: ${stderr.trim() || (err as Error).message}`);
  }
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the real docker CLI; resolves with the exit code instead of throwing, so tests can assert failures. */
export async function dockerCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "docker",
      args,
      { env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = (err as { code?: unknown } | null)?.code;
        if (err && typeof code !== "number") return reject(err);
        resolve({ exitCode: typeof code === "number" ? code : 0, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    child.stdin?.end(options.input ?? "");
  });
}

/** The docker CLI's trimmed stdout, or an error carrying its stderr. */
export async function docker(...args: string[]): Promise<string> {
  const result = await dockerCli(args);
  if (result.exitCode !== 0)
    throw new Error(`docker ${args.join(" ")} exited ${result.exitCode}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/**
 * Runs a command in a fresh container on the host network (the test engine has no bridge) through
 * the engine API, and removes the container afterwards.
 */
export async function runInContainer(
  image: string,
  cmd: string[],
  options: { env?: string[] } = {},
): Promise<CommandResult> {
  const client = await dockerClient();
  const container = await client.createContainer({
    Image: image,
    Cmd: cmd,
    Env: options.env,
    HostConfig: { NetworkMode: "host" },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const stdout = (await container.logs({ stdout: true, stderr: false, follow: false })) as unknown as Buffer;
    const stderr = (await container.logs({ stdout: false, stderr: true, follow: false })) as unknown as Buffer;
    return { exitCode: StatusCode, stdout: demultiplexedText(stdout), stderr: demultiplexedText(stderr) };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/**
 * Builds an image through the engine API from in-memory files (`Dockerfile` among them), with
 * BuildKit (`version: "2"`, the default) or the classic builder (`"1"`), on the host network.
 * Resolves with the build's text output; rejects with the engine's error message.
 */
export async function buildImage(
  tag: string,
  files: Record<string, string>,
  options: { builder?: "1" | "2"; buildargs?: Record<string, string> } = {},
): Promise<string> {
  const client = await dockerClient();
  const { pack } = await import("tar-fs");
  const contextDir = await mkdtemp(join(tmpdir(), "cogts-build-context-"));
  try {
    for (const [name, content] of Object.entries(files)) {
      await mkdir(dirname(join(contextDir, name)), { recursive: true });
      await writeFile(join(contextDir, name), content);
    }
    const stream = await client.buildImage(pack(contextDir) as unknown as NodeJS.ReadableStream, {
      t: tag,
      version: options.builder ?? "2",
      networkmode: "host",
      buildargs: options.buildargs,
      rm: true,
      forcerm: true,
    });
    return await buildOutput(client, tag, stream);
  } finally {
    await rm(contextDir, { recursive: true, force: true });
  }
}

async function buildOutput(client: Docker, tag: string, stream: NodeJS.ReadableStream): Promise<string> {
  const events = await new Promise<Array<Record<string, unknown>>>((resolve, reject) => {
    client.modem.followProgress(stream, (err: Error | null, output: Array<Record<string, unknown>>) =>
      err ? reject(err) : resolve(output),
    );
  });
  const failure = events.find((event) => event.error || event.errorDetail);
  if (failure)
    throw new Error(`building ${tag} failed: ${String(failure.error ?? JSON.stringify(failure.errorDetail))}`);
  return events.map((event) => (typeof event.stream === "string" ? event.stream : "")).join("");
}
