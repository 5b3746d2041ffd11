/**
 * Images built through the real engine with the stand-in base images: labels, the schema file, predictions over
 * HTTP, `cog run -i image=@file`, `cog exec`, the classic builder, `cog init`, and the engine-missing sentence.
 * Images are built once per project and reused by the tests below.
 */
import { execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { deflateSync } from "node:zlib";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configForLabel, loadConfig } from "../../src/config/index.js";
import { generateSchema } from "../../src/schema/index.js";
import { buildModel, loadProject } from "../../src/model/index.js";
import { startModelServer, withContainer } from "../../src/docker/container.js";
import { waitForContainer } from "../../src/predict/index.js";
import { COGTS_VERSION } from "../../src/version.js";
import { REPO_ROOT, dockerClient, requireTestEnv, uniqueName } from "../helpers/test-env.js";
import { ensureDistBuilt } from "../helpers/dist.js";
import { COG_BIN, runCog, type CliResult } from "../helpers/cli.js";

const run = promisify(execFile);
const FIXTURES = path.join(REPO_ROOT, "fixtures", "projects");

/** The built CLI (dist/) as a user runs it, with the test environment's engine, mirror and CA certificates. */
function cog(cwd: string, args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCog(args, {
    cwd,
    env: { ...process.env, COGTS_CA_CERT: process.env.COGTS_CA_CERT ?? process.env.NODE_EXTRA_CA_CERTS, ...env },
  });
}

/** A PNG of width × height (RGB gradient), written without any image library. */
function makePng(width: number, height: number): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([(x * 4) % 256, (y * 5) % 256, 128], 1 + x * 3);
    rows.push(row);
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(1, 4).toString("ascii")).toBe("PNG");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

let docker: Docker;
let scratch: string;
const images: string[] = [];

beforeAll(async () => {
  requireTestEnv();
  docker = await dockerClient();
  await ensureDistBuilt();
  scratch = mkdtempSync(path.join(tmpdir(), "cogts-build-test-"));
});

afterAll(async () => {
  for (const image of images)
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The output of a command run in a container of the image (entrypoint included). */
async function runInImage(image: string, cmd: string[]): Promise<string> {
  const { createModelContainer, containerLogs } = await import("../../src/docker/container.js");
  const { container } = await createModelContainer({ docker, image, cmd });
  return withContainer(container, async () => {
    await container.start();
    await container.wait();
    return containerLogs(container);
  });
}

async function predict(
  image: string,
  input: Record<string, unknown>,
): Promise<{ status: string; output: unknown; logs?: string }> {
  const { url, container } = await startModelServer({ docker, image });
  return withContainer(container, async () => {
    await waitForContainer(url, container, 120_000);
    const response = await fetch(`${url}/predictions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { status: string; output: unknown; logs?: string };
  });
}

describe("the hello fixture, built with cog build", () => {
  let dir: string;
  let tag: string;
  let revision: string;

  beforeAll(async () => {
    dir = path.join(scratch, "hello");
    cpSync(path.join(FIXTURES, "hello"), dir, { recursive: true });
    // Things the build context must leave out: .dockerignore'd logs, node_modules, .git, .cog scratch.
    writeFileSync(path.join(dir, "debug.log"), "not for the image\n");
    cpSync(path.join(FIXTURES, "hello", "package.json"), path.join(dir, "node_modules", "left-out", "package.json"), {
      recursive: true,
    });
    writeFileSync(path.join(dir, "notes.txt"), "kept\n");
    // A large weight file (≥ 10 MiB) gets its own layer before the code.
    writeFileSync(path.join(dir, "model.bin"), Buffer.alloc(11 * 1024 * 1024, 7));
    const git = (...args: string[]) => run("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: dir });
    await git("init", "-q");
    await git("add", "-A");
    await git("commit", "-q", "-m", "hello");
    await git("tag", "v1.2.3");
    revision = (await run("git", ["rev-parse", "HEAD"], { cwd: dir })).stdout.trim();
    tag = uniqueName("cogts-test-hello");
    images.push(tag);
    const result = await cog(dir, ["build", "-t", tag, "--progress", "plain"]);
    expect(result.stderr).toContain(`Image built as ${tag}`);
    expect(result.code).toBe(0);
  });

  it("labels the image as Cog does", async () => {
    const labels = (await docker.getImage(tag).inspect()).Config.Labels;
    const config = await loadConfig(dir);
    const schema = await generateSchema({ dir, predict: config.predict });
    expect(labels["run.cog.version"]).toBe(COGTS_VERSION);
    expect(JSON.parse(labels["run.cog.config"]!)).toEqual(configForLabel(config));
    expect(JSON.parse(labels["run.cog.openapi_schema"]!)).toEqual(schema);
    expect(labels["run.cog.has_init"]).toBe("true");
    expect(labels["org.opencontainers.image.revision"]).toBe(revision);
    expect(labels["org.opencontainers.image.version"]).toMatch(/^v1\.2\.3/);
  });

  it("runs tini as PID 1, the server as its command, from /src", async () => {
    const { Config } = await docker.getImage(tag).inspect();
    expect(Config.Entrypoint).toEqual(["/usr/bin/tini", "--"]);
    expect(Config.Cmd).toEqual(["node", "/opt/cogts/dist/runtime/server/main.js"]);
    expect(Config.WorkingDir).toBe("/src");
    expect(Config.Env).toContain("COG_PREDICT_TYPE_STUB=predict.ts:Predictor");
    expect(Object.keys(Config.ExposedPorts ?? {})).toEqual(["5000/tcp"]);
  });

  it("holds the labelled schema at /src/.cog/openapi_schema.json and leaves ignored files out (cog exec)", async () => {
    const labels = (await docker.getImage(tag).inspect()).Config.Labels;
    const schemaFile = await cog(dir, ["exec", "--progress", "quiet", "--", "cat", "/src/.cog/openapi_schema.json"]);
    expect(schemaFile.code).toBe(0);
    expect(JSON.parse(schemaFile.stdout)).toEqual(JSON.parse(labels["run.cog.openapi_schema"]!));
    const listing = await cog(dir, [
      "exec",
      "--progress",
      "quiet",
      "--",
      "sh",
      "-c",
      "ls -a /src; ls /src/node_modules",
    ]);
    const names = listing.stdout.split("\n");
    expect(names).toEqual(expect.arrayContaining(["predict.ts", "predict.js", "notes.txt", "model.bin", "cogts"]));
    expect(names).not.toContain("debug.log");
    expect(names).not.toContain(".git");
    expect(names).not.toContain("left-out");
  });

  it("puts the weight file in its own layer, before the code layer", async () => {
    const history = (await docker.getImage(tag).history()) as { CreatedBy: string; Size: number }[];
    const createdBy = history.map((layer) => layer.CreatedBy);
    const weights = createdBy.findIndex((line) => line.includes("model.bin"));
    const code = createdBy.findIndex((line) => line.includes("COPY /src/ /src/"));
    expect(weights).toBeGreaterThan(-1);
    expect(history[weights]!.Size).toBeGreaterThanOrEqual(11 * 1024 * 1024);
    // History lists the newest layer first.
    expect(code).toBeLessThan(weights);
    expect(history[code]!.Size).toBeLessThan(1024 * 1024);
  });

  it("passes --secret to build.run secret mounts through a BuildKit session, leaving no trace in the image", async () => {
    const secretDir = path.join(scratch, "with-secret");
    cpSync(path.join(FIXTURES, "hello"), secretDir, { recursive: true });
    writeFileSync(
      path.join(secretDir, "cog.yaml"),
      [
        "build:",
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
    const secretFile = path.join(scratch, "token.txt");
    writeFileSync(secretFile, "s3cr3t-token-value\n");
    const secretTag = uniqueName("cogts-test-secret");
    images.push(secretTag);

    const missing = await cog(secretDir, ["build", "-t", secretTag, "--progress", "plain"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("build.run[0] mounts the secret token: pass --secret id=token,src=FILE");

    const built = await cog(secretDir, [
      "build",
      "-t",
      secretTag,
      "--progress",
      "plain",
      "--secret",
      `id=token,src=${secretFile}`,
    ]);
    expect(built.code, built.stderr.slice(-1500)).toBe(0);
    expect((await runInImage(secretTag, ["cat", "/etc/token-prefix"])).trim()).toBe("s3cr3t");
    expect(
      (await runInImage(secretTag, ["sh", "-c", "test -e /run/secrets/token && echo present || echo absent"])).trim(),
    ).toBe("absent");
    const history = (await docker.getImage(secretTag).history()) as { CreatedBy: string }[];
    expect(JSON.stringify(history)).not.toContain("s3cr3t-token-value");
  });

  it("serves the model with cog serve -p PORT until interrupted, then removes the container", async () => {
    const { freePort } = await import("../../src/docker/container.js");
    const port = await freePort();
    const child = spawn(process.execPath, [COG_BIN, "serve", "-p", String(port), "--progress", "quiet"], {
      cwd: dir,
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
    try {
      for (let i = 0; i < 600 && !stderr.includes("Serving at"); i++) await new Promise((r) => setTimeout(r, 100));
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
    const left = await docker.listContainers({
      all: true,
      filters: { label: ["run.cog.cogts-started=true"], ancestor: ["cog-hello"] },
    });
    expect(left).toEqual([]);
  });

  it("gives exec's exit code and -e environment", async () => {
    const result = await cog(dir, [
      "exec",
      "--progress",
      "quiet",
      "-e",
      "WHO=cogts",
      "--",
      "sh",
      "-c",
      'echo "hi $WHO"; exit 3',
    ]);
    expect(result.stdout).toContain("hi cogts");
    expect(result.code).toBe(3);
  });

  it("answers predictions over HTTP", async () => {
    const body = await predict(tag, { name: "bob" });
    expect(body).toMatchObject({ status: "succeeded", output: "hello bob" });
  });

  it("runs a prediction with cog run, printing the text output", async () => {
    const result = await cog(dir, ["run", "--progress", "quiet", "-i", "name=ada"]);
    expect(result.stdout.trim()).toBe("hello ada");
    expect(result.code).toBe(0);
    const left = await docker.listContainers({
      all: true,
      filters: { label: ["run.cog.cogts-started=true"], ancestor: ["cog-hello"] },
    });
    expect(left).toEqual([]);
  });

  it("builds the classic-builder variant, which serves the same predictions", async () => {
    const classicTag = uniqueName("cogts-test-hello-classic");
    images.push(classicTag);
    const chunks: string[] = [];
    const out = { write: (chunk: string) => chunks.push(chunk) } as unknown as NodeJS.WritableStream;
    const built = await buildModel({
      project: await loadProject(dir),
      tag: classicTag,
      buildkit: false,
      out,
      progress: "plain",
    });
    expect(chunks.join("")).toMatch(/Step \d+\/\d+ : RUN set -e/);
    expect(await predict(built.tag, { name: "classic" })).toMatchObject({
      status: "succeeded",
      output: "hello classic",
    });
  });
});

describe("a real model: image resizing with sharp", () => {
  let dir: string;
  let tag: string;

  beforeAll(async () => {
    dir = path.join(scratch, "resize");
    cpSync(path.join(FIXTURES, "resize"), dir, { recursive: true });
    tag = uniqueName("cogts-test-resize");
    images.push(tag);
    const result = await cog(dir, ["build", "-t", tag, "--progress", "plain"]);
    expect(result.stderr.slice(-2000)).toContain(`Image built as ${tag}`);
  });

  it("resizes a PNG sent as a data URL over HTTP", async () => {
    const png = makePng(64, 48);
    const body = await predict(tag, { image: `data:image/png;base64,${png.toString("base64")}`, width: 20 });
    expect(body.status).toBe("succeeded");
    expect(body.logs).toContain("resizing with libvips");
    const output = String(body.output);
    expect(output).toMatch(/^data:image\/png;base64,/);
    expect(pngSize(Buffer.from(output.split(",")[1]!, "base64"))).toEqual({ width: 20, height: 15 });
  });

  it("writes the output file of cog run -i image=@file to the working directory", async () => {
    const work = mkdtempSync(path.join(scratch, "run-"));
    writeFileSync(path.join(work, "input.png"), makePng(64, 48));
    const result = await cog(work, ["run", tag, "-i", "image=@input.png", "-i", "width=16"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("Written output to: output.png");
    expect(pngSize(readFileSync(path.join(work, "output.png")))).toEqual({ width: 16, height: 12 });
  });
});

describe("a GPU model on the stand-in nvidia/cuda image", () => {
  it("builds FROM the CUDA runtime image chosen by the table and records the resolved CUDA/cuDNN", async () => {
    const dir = path.join(scratch, "gpu");
    cpSync(path.join(FIXTURES, "hello"), dir, { recursive: true });
    writeFileSync(path.join(dir, "cog.yaml"), "build:\n  gpu: true\nrun: predict.ts:Predictor\n");
    const tag = uniqueName("cogts-test-gpu");
    images.push(tag);
    const result = await cog(dir, ["build", "-t", tag, "--progress", "plain"]);
    expect(result.code, result.stderr.slice(-1500)).toBe(0);
    expect(result.stderr).toContain("nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04");
    const { Config } = await docker.getImage(tag).inspect();
    expect(JSON.parse(Config.Labels["run.cog.config"]!).build).toMatchObject({ gpu: true, cuda: "12.4", cudnn: "9" });
    expect(Config.Env).toContain("NVIDIA_DRIVER_CAPABILITIES=all");
    // No GPU here: the server is started without --gpus, which the stand-in base image does not need.
    expect(await predict(tag, { name: "gpu" })).toMatchObject({ status: "succeeded", output: "hello gpu" });
  });
});

describe("cog debug", () => {
  it("prints the real Dockerfile without a mirror, and the mirrored one with the flag or the environment", async () => {
    const dir = path.join(FIXTURES, "hello");
    const plain = await cog(dir, ["debug"], { COGTS_BASE_IMAGE_MIRROR: "" });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^FROM node:22-bookworm-slim AS node$/m);
    expect(plain.stdout).toMatch(/^FROM debian:bookworm-slim$/m);
    const flagged = await cog(dir, ["debug", "--base-image-mirror", "mirror.example"], { COGTS_BASE_IMAGE_MIRROR: "" });
    expect(flagged.stdout).toMatch(/^FROM mirror\.example\/library\/debian:bookworm-slim$/m);
    const fromEnv = await cog(dir, ["debug", "--classic"], { COGTS_BASE_IMAGE_MIRROR: "env.example" });
    expect(fromEnv.stdout).toMatch(/^FROM env\.example\/library\/node:22-bookworm-slim AS node$/m);
    expect(fromEnv.stdout).not.toContain("--mount");
  });
});

describe("cog init", () => {
  it("scaffolds a project that runs without Docker and builds, and never overwrites (a second init skips every file)", async () => {
    const dir = path.join(scratch, "my-model");
    mkdirSync(dir);
    const init = await cog(dir, ["init"]);
    expect(init.code).toBe(0);
    for (const file of ["cog.yaml", "predict.ts", "package.json", "tsconfig.json", ".dockerignore"])
      expect(existsSync(path.join(dir, file))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).devDependencies).toHaveProperty("cogts");

    const local = await cog(dir, ["run", "--no-docker", "-i", "prompt=hi there"]);
    expect(local.stdout, local.stderr).toContain("hi there (scale 1.5)");
    expect(local.code).toBe(0);

    const tag = uniqueName("cogts-test-init");
    images.push(tag);
    const build = await cog(dir, ["build", "-t", tag, "--progress", "quiet"]);
    expect(build.code).toBe(0);
    expect(await predict(tag, { prompt: "built" })).toMatchObject({ status: "succeeded", output: "built (scale 1.5)" });

    const again = await cog(dir, ["init"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Skipped existing cog.yaml");
  });
});

describe("without an engine", () => {
  it("says in one sentence what is wrong and how to fix it", async () => {
    const result = await cog(path.join(FIXTURES, "hello"), ["build"], {
      DOCKER_HOST: `unix://${path.join(scratch, "no-engine.sock")}`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("No Docker engine at unix://");
    expect(result.stderr).toContain("DOCKER_HOST");
  });
});
