/**
 * What a new user runs into, answered as a user problem (exit 1 or 2 and what to do), never as "a bug in cogts":
 * gpu: true without the NVIDIA runtime, `-o` into a folder that does not exist, flags after `cog exec CMD`, Cog
 * flags cogts lacks, `cog run IMAGE` of an image only the registry has, cog.yaml's weights/model, and the setup
 * timeout. Real engine (which has no GPU runtime), the open test registry, bin/cog.js as users run it.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, dockerClient, requireTestEnv, uniqueName } from "../helpers/test-env.js";
import { ensureDistBuilt } from "../helpers/dist.js";
import { runCog, type CliResult } from "../helpers/cli.js";

/** Builds and containers on a shared 2-core machine: minutes under load, not the default 60 s. */
const HEAVY_TEST_MS = 600_000;
const scratch = mkdtempSync(path.join(tmpdir(), "cogts-user-mistakes-"));
const images: string[] = [];
let docker: Docker;

function cog(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCog(args, { cwd, env: { ...process.env, ...env } });
}

/** A copy of the hello fixture (input `name`, output `hello NAME`), with this cog.yaml when given. */
function helloProject(name: string, cogYaml?: string): string {
  const dir = path.join(scratch, name);
  cpSync(path.join(REPO_ROOT, "fixtures", "projects", "hello"), dir, { recursive: true });
  if (cogYaml) writeFileSync(path.join(dir, "cog.yaml"), cogYaml);
  return dir;
}

/** Containers cogts started from `image` that are still there (running or not). */
async function leftovers(image: string): Promise<unknown[]> {
  return docker.listContainers({ all: true, filters: { label: ["run.cog.cogts-started=true"], ancestor: [image] } });
}

beforeAll(async () => {
  requireTestEnv();
  await ensureDistBuilt();
  docker = await dockerClient();
});

afterAll(async () => {
  for (const image of images)
    await docker
      ?.getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
});

describe("gpu: true on an engine without the NVIDIA runtime", () => {
  it(
    "runs without the GPU after a warning, and leaves no container behind",
    async () => {
      const tag = uniqueName("cogts-test-gpu");
      images.push(tag);
      const dir = helloProject("gpu", `image: ${tag}\nbuild:\n  gpu: true\nrun: predict.ts:Predictor\n`);
      const result = await cog(dir, ["run", "--progress", "quiet", "-i", "name=gpu"]);
      expect(result.stderr).not.toContain("bug in cogts");
      expect(result.code, result.stderr.slice(-1500)).toBe(0);
      expect(result.stdout.trim()).toBe("hello gpu");
      expect(result.stderr).toContain("the Docker engine has no GPU runtime");
      expect(result.stderr).toContain("running without a GPU");
      expect(await leftovers(tag)).toEqual([]);

      // The same for `cog exec` (the image carries gpu: true in its label, so all GPUs are asked for).
      const exec = await cog(dir, ["exec", "--progress", "quiet", "node", "-e", "console.log('no gpu, still runs')"]);
      expect(exec.code, exec.stderr).toBe(0);
      expect(exec.stdout.trim()).toBe("no gpu, still runs");
      expect(exec.stderr).toContain("running without a GPU");
      expect(await leftovers(tag)).toEqual([]);

      // A GPU the user named is not silently dropped: a clear message, exit 1, no container left.
      const named = await cog(scratch, ["run", tag, "--gpus", "device=0", "-i", "name=x"]);
      expect(named.code).toBe(1);
      expect(named.stderr).toContain("--gpus device=0: the Docker engine has no GPU runtime");
      expect(named.stderr).not.toContain("bug in cogts");
      expect(await leftovers(tag)).toEqual([]);
    },
    HEAVY_TEST_MS,
  );
});

describe("cog exec CMD ARGS", () => {
  it(
    "gives the flags after the command to the command",
    async () => {
      const tag = uniqueName("cogts-test-exec");
      images.push(tag);
      const dir = helloProject("exec", `image: ${tag}\nrun: predict.ts:Predictor\n`);
      const result = await cog(dir, ["exec", "--progress", "quiet", "node", "-e", "console.log(42)"]);
      expect(result.code, result.stderr.slice(-1500)).toBe(0);
      expect(result.stdout.trim()).toBe("42");
      // cog exec's own flags still come before the command; -e after it is node's.
      const env = await cog(dir, [
        "exec",
        "--progress",
        "quiet",
        "-e",
        "WHO=cogts",
        "node",
        "-e",
        "console.log(process.env.WHO)",
      ]);
      expect(env.stdout.trim()).toBe("cogts");
      const help = await cog(dir, ["exec", "--progress", "quiet", "node", "--help"]);
      expect(help.stdout).toContain("node [options]");
    },
    HEAVY_TEST_MS,
  );
});

describe("cog run IMAGE with an image the engine does not have", () => {
  it(
    "pulls it from its registry, with progress, then predicts",
    async () => {
      const dir = helloProject("pull");
      const local = uniqueName("cogts-test-pull-src");
      images.push(local);
      // A layer of its own, so that removing the image removes content the pull must then download.
      writeFileSync(path.join(dir, "unique.txt"), local);
      const built = await cog(dir, ["build", "-t", local, "--progress", "quiet"]);
      expect(built.code, built.stderr.slice(-1500)).toBe(0);
      const remote = `${requireTestEnv().registry}/${uniqueName("pull")}:v1`;
      images.push(remote);
      const [repo, tagName] = remote.split(/:(?=[^:/]+$)/) as [string, string];
      await docker.getImage(local).tag({ repo, tag: tagName });
      const pushed = await cog(dir, ["push", remote, "--no-build"]);
      expect(pushed.code, pushed.stderr.slice(-1500)).toBe(0);
      // Gone from the engine under both names, so cog run has to fetch it.
      await docker.getImage(remote).remove({ force: true });
      await docker.getImage(local).remove({ force: true });
      await expect(docker.getImage(remote).inspect()).rejects.toThrow();

      const result = await cog(scratch, ["run", remote, "-i", "name=pulled"]);
      expect(result.code, result.stderr.slice(-1500)).toBe(0);
      expect(result.stdout.trim()).toBe("hello pulled");
      expect(result.stderr).toContain(`Pulling ${remote}`);
      expect(result.stderr).toContain(": Pull complete");
      expect(result.stderr).toContain("Status: Downloaded newer image");
    },
    HEAVY_TEST_MS,
  );

  it(
    "says clearly when the registry does not have it either",
    async () => {
      const missing = `${requireTestEnv().registry}/${uniqueName("absent")}:v1`;
      const result = await cog(scratch, ["run", missing, "-i", "name=x"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`No image ${missing} in the engine, and its registry does not have it either`);
      expect(result.stderr).not.toContain("bug in cogts");
    },
    HEAVY_TEST_MS,
  );
});

describe("without an engine (--no-docker)", () => {
  it(
    "writes -o into a folder that does not exist yet, creating it",
    async () => {
      const dir = helloProject("output");
      const result = await cog(dir, ["run", "--no-docker", "-i", "name=out", "-o", "results/today/greeting.txt"]);
      expect(result.code, result.stderr).toBe(0);
      expect(readFileSync(path.join(dir, "results", "today", "greeting.txt"), "utf8")).toBe("hello out");
      // A trailing slash names a folder: the output goes inside it.
      const folder = await cog(dir, ["run", "--no-docker", "-i", "name=folder", "-o", "more/"]);
      expect(folder.code, folder.stderr).toBe(0);
      expect(readFileSync(path.join(dir, "more", "output.txt"), "utf8")).toBe("hello folder");
    },
    HEAVY_TEST_MS,
  );

  it(
    "waits 300 s for setup by default, as Cog, and gives up after --setup-timeout",
    async () => {
      const help = await cog(scratch, ["run", "--help"]);
      expect(help.stdout).toMatch(/--setup-timeout SECONDS +.*\(default "300"\)/);
      const dir = helloProject("slow-setup");
      const predictor = readFileSync(path.join(dir, "predict.ts"), "utf8").replace(
        'this.greeting = "hello";',
        'await new Promise((resolve) => setTimeout(resolve, 20_000));\n    this.greeting = "hello";',
      );
      writeFileSync(path.join(dir, "predict.ts"), predictor);
      const started = Date.now();
      const result = await cog(dir, ["run", "--no-docker", "--setup-timeout", "1", "-i", "name=x"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("setup did not finish within 1 s");
      expect(Date.now() - started).toBeLessThan(15_000);
    },
    HEAVY_TEST_MS,
  );

  it(
    "refuses cog.yaml's weights and model at their line and column",
    async () => {
      const dir = helloProject(
        "weights",
        [
          "model: r8.im/someone/thing",
          "run: predict.ts:Predictor",
          "weights:",
          "  - name: base",
          "    target: /src/weights",
          "    source:",
          "      uri: hf://someone/repo",
          "",
        ].join("\n"),
      );
      for (const args of [["run", "--no-docker", "-i", "name=x"], ["build"], ["push", "--no-build"]]) {
        const result = await cog(dir, args);
        expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(1);
        expect(result.stderr).toContain("cog.yaml:1:1: model (the repository of a Cog bundle push");
        expect(result.stderr).toContain("rename model to image (`image: r8.im/someone/thing`)");
        expect(result.stderr).toContain("cog.yaml:3:1: weights (Cog's managed weights");
        expect(result.stderr).not.toContain("bug in cogts");
      }
      expect(existsSync(path.join(dir, ".cog", "build", "Dockerfile"))).toBe(false);
    },
    HEAVY_TEST_MS,
  );
});

describe("flags cogts does not have", () => {
  it(
    "says which are Cog flags cogts lacks and what to use instead, with exit 2",
    async () => {
      const cases: [string[], string][] = [
        [
          ["build", "--use-cuda-base-image", "false"],
          "--use-cuda-base-image is a flag of Cog's cog build that cogts does not have: cogts picks the base image",
        ],
        [["predict", "--use-replicate-token"], "-e REPLICATE_API_TOKEN=$REPLICATE_API_TOKEN"],
        [["build", "--separate-weights"], "their own layer"],
        [["push", "--dockerfile", "Dockerfile"], "print it with `cog debug`"],
        [["build", "--tga", "x"], "unknown flag --tga for cog build. Did you mean --tag?"],
        [["serve", "--frobnicate"], "unknown flag --frobnicate for cog serve. Run 'cog serve --help' for its flags."],
      ];
      for (const [args, message] of cases) {
        const result = await cog(scratch, args);
        expect(result.code, args.join(" ")).toBe(2);
        expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
        expect(result.stderr).toContain(message);
      }
    },
    HEAVY_TEST_MS,
  );
});
