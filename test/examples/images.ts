/**
 * Building and running the examples' images in the test environment, shared by test/examples/docker.test.ts and
 * bench/examples.mjs's needs: the same `cog build` a user runs, then the image's server on a free port.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { docker, dockerClient, requireTestEnv } from "../helpers/test-env.js";
import { exampleDir, installExample, REPO_ROOT } from "./helpers.js";

const run = promisify(execFile);
const COG = join(REPO_ROOT, "bin", "cog.js");

/** Base images the generated Dockerfiles of the examples name (node_version "20", CPU). */
const BASE_IMAGES = ["library/debian:bookworm-slim", "library/node:20-bookworm-slim"];
const CA_MIRROR = "cogts-examples-mirror.invalid";
let mirrorReady: Promise<string> | undefined;

/**
 * The base-image mirror for the examples' builds. Where this machine reaches the npm registry through a
 * TLS-inspecting proxy (NODE_EXTRA_CA_CERTS names its CA, as here), `npm ci` in a build needs that CA too, like in
 * any such corporate network: the test environment's stand-ins get a layer with the CA under a second mirror name.
 * The generated Dockerfiles are unchanged; elsewhere the plain stand-ins are used.
 */
export function examplesBaseImageMirror(): Promise<string> {
  mirrorReady ??= (async () => {
    const { baseImageMirror } = requireTestEnv();
    const ca = process.env.NODE_EXTRA_CA_CERTS;
    if (!ca || !existsSync(ca)) return baseImageMirror;
    const context = mkdtempSync(join(tmpdir(), "examples-mirror-"));
    copyFileSync(ca, join(context, "extra-ca.crt"));
    for (const image of BASE_IMAGES) {
      writeFileSync(
        join(context, "Dockerfile"),
        `FROM ${baseImageMirror}/${image}\nCOPY extra-ca.crt /usr/local/share/cogts-test/extra-ca.crt\n` +
          "ENV NODE_EXTRA_CA_CERTS=/usr/local/share/cogts-test/extra-ca.crt\n",
      );
      await docker("build", "-q", "--network", "host", "-t", `${CA_MIRROR}/${image}`, context);
    }
    return CA_MIRROR;
  })();
  return mirrorReady;
}

/** `cog build -t TAG` in the example's folder, as a user runs it. Returns the build's output. */
export async function buildExample(example: string, tag: string, config = "cog.yaml"): Promise<string> {
  await installExample(example);
  const mirror = await examplesBaseImageMirror();
  const { stdout, stderr } = await run(process.execPath, [COG, "build", "-f", config, "-t", tag, "--progress", "plain", "--base-image-mirror", mirror], {
    cwd: exampleDir(example),
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
