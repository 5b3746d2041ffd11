/**
 * `cog train` and `cog run IMAGE --json` through the Docker engine (twins of Cog's train_basic, predict_json_stdin
 * and predict_deprecation_warning scenarios): the hello project with a trainer, built once by `cog train`.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, dockerClient, requireTestEnv, uniqueName } from "../helpers/test-env.js";
import { ensureDistBuilt } from "../helpers/dist.js";
import { runCog } from "../helpers/cli.js";

/** A build on a shared 2-core machine: minutes under load. */
const HEAVY_TEST_MS = 600_000;
const TRAINER = `import { writeFileSync } from "node:fs";
import { BasePredictor, Input, Path, type Int } from "cogts";
export class Trainer extends BasePredictor {
  async train(n: Int = Input({ ge: 1 })): Promise<{ weights: Path }> {
    writeFileSync("/tmp/weights.bin", "a".repeat(n));
    return { weights: new Path("/tmp/weights.bin") };
  }
}
`;
const tag = uniqueName("cli-train");
const dir = mkdtempSync(join(tmpdir(), "cogts-train-docker-"));
let docker: Docker;

beforeAll(async () => {
  requireTestEnv();
  await ensureDistBuilt();
  docker = await dockerClient();
  cpSync(join(REPO_ROOT, "fixtures", "projects", "hello"), dir, { recursive: true });
  writeFileSync(
    join(dir, "cog.yaml"),
    `image: ${tag}\nbuild:\n  node_version: "22"\nrun: predict.ts:Predictor\ntrain: train.ts:Trainer\n`,
  );
  writeFileSync(join(dir, "train.ts"), TRAINER);
});

afterAll(async () => {
  await docker
    ?.getImage(tag)
    .remove({ force: true })
    .catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe("cog train in a container", () => {
  it("builds, trains with -i inputs in train mode and writes the weights", { timeout: HEAVY_TEST_MS }, async () => {
    const r = await runCog(["train", "--progress", "quiet", "-i", "n=42"], { cwd: dir });
    expect(r.code, r.stderr.slice(-1500)).toBe(0);
    expect(r.stderr).toContain('Command "train" is deprecated');
    expect(r.stderr).toContain("Written output to: weights.bin");
    expect(readFileSync(join(dir, "weights.bin"), "utf8")).toHaveLength(42);
  });

  it(
    "runs the built image with --json from stdin, and as cog predict with its warning",
    { timeout: HEAVY_TEST_MS },
    async () => {
      const json = await runCog(["run", tag, "--json", "@-"], { cwd: dir, input: '{"name": "sackfield"}' });
      expect(json.code, json.stderr.slice(-1500)).toBe(0);
      expect(json.stdout).toContain('"status": "succeeded"');
      expect(json.stdout).toContain('"output": "hello sackfield"');
      const predict = await runCog(["predict", tag, "-i", "name=world"], { cwd: dir });
      expect(predict.code, predict.stderr.slice(-1500)).toBe(0);
      expect(predict.stderr).toContain('"cog predict" is deprecated, use "cog run"');
      expect(predict.stdout).toBe("hello world\n");
    },
  );
});
