/**
 * Building and running the examples' images in the test environment, for test/examples/docker.test.ts: the same
 * `cog build` a user runs, then the image's server on a free port.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { COG_BIN } from "../helpers/cli.js";
import { docker, dockerClient, requireTestEnv } from "../helpers/test-env.js";
import { exampleDir, installExample, REPO_ROOT } from "./helpers.js";

const run = promisify(execFile);

/**
 * Where this machine reaches the npm registry through a TLS-inspecting proxy (NODE_EXTRA_CA_CERTS names its CA, as
 * here), `npm ci` in the build needs that CA too: cogts takes it from COGTS_CA_CERT, as Cog takes COG_CA_CERT.
 */
function buildEnvironment(): NodeJS.ProcessEnv {
  const ca = process.env.COGTS_CA_CERT ?? process.env.NODE_EXTRA_CA_CERTS;
  return { ...process.env, ...(ca ? { COGTS_CA_CERT: ca } : {}) };
}

/** `cog build -t TAG` in the example's folder, as a user runs it. Returns the build's output. */
export async function buildExample(example: string, tag: string, config = "cog.yaml"): Promise<string> {
  await installExample(example);
  const { baseImageMirror } = requireTestEnv();
  const { stdout, stderr } = await run(process.execPath, [COG_BIN, "build", "-f", config, "-t", tag, "--progress", "plain", "--base-image-mirror", baseImageMirror], {
    cwd: exampleDir(example),
    env: buildEnvironment(),
    timeout: 900_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout + stderr;
}

export interface RunningModel {
  url: string;
  container: Docker.Container;
  stop(): Promise<void>;
}

/** Starts the image's server (optionally with another command line, e.g. train mode) on a free port. */
export async function startImage(image: string, options: { cmd?: string[]; env?: string[] } = {}): Promise<RunningModel> {
  const client = await dockerClient();
  const { startModelServer, removeContainer } = (await import(join(REPO_ROOT, "dist", "src", "docker", "container.js"))) as typeof import("../../src/docker/container.js");
  const { url, container } = await startModelServer({ docker: client, image, cmd: options.cmd, env: options.env });
  return { url, container, stop: () => removeContainer(container) };
}

/** `docker rmi`, ignoring images that are already gone. */
export async function removeImages(...images: string[]): Promise<void> {
  for (const image of images) await docker("rmi", "-f", image).catch(() => undefined);
}
