/**
 * `cog run IMAGE` checks inputs against the image's schema label (run.cog.openapi_schema) before it starts a
 * container, and `cog run` in a project before it builds (twins of Cog's input_validation_before_start and
 * input_validation_before_build scenarios). Real engine; the image is a labelled stand-in, nothing runs in it.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage, dockerClient, requireTestEnv, uniqueName } from "../helpers/test-env.js";
import { ensureDistBuilt } from "../helpers/dist.js";
import { runCog } from "../helpers/cli.js";

const SCHEMA = {
  openapi: "3.0.2",
  info: { title: "Cog", version: "0.22.0" },
  paths: {},
  components: {
    schemas: {
      Input: {
        type: "object",
        title: "Input",
        required: ["prompt"],
        properties: { prompt: { type: "string", title: "Prompt", "x-order": 0 } },
      },
    },
  },
};
const tag = uniqueName("cli-validate");
let docker: Docker;
let containersBefore = 0;

beforeAll(async () => {
  requireTestEnv();
  await ensureDistBuilt();
  docker = await dockerClient();
  await buildImage(
    tag,
    { Dockerfile: `FROM python:3.11-slim\nLABEL run.cog.openapi_schema=${JSON.stringify(JSON.stringify(SCHEMA))}\n` },
    { builder: "1" },
  );
  containersBefore = (await docker.listContainers({ all: true, filters: { ancestor: [tag] } })).length;
}, 300_000);

afterAll(async () => {
  await docker
    ?.getImage(tag)
    .remove({ force: true })
    .catch(() => undefined);
});

describe("inputs of a prebuilt image", () => {
  const cwd = mkdtempSync(join(tmpdir(), "cogts-validate-"));
  const cases: [string[], string][] = [
    [["run", tag, "-i", "nope=value"], 'unknown input "nope"; valid inputs are: prompt'],
    [["predict", tag, "--json", '{"nope": 1}'], 'unknown input "nope"'],
    [["run", tag], 'missing required input "prompt"'],
  ];
  it.each(cases)("cog %j fails before the container starts", { timeout: 120_000 }, async (args, message) => {
    const r = await runCog(args, { cwd });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain("Starting Docker image and running setup");
    expect((await docker.listContainers({ all: true, filters: { ancestor: [tag] } })).length).toBe(containersBefore);
  });
});

describe("inputs of a project", () => {
  it("a bad -i fails before any build output", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "cogts-validate-project-"));
    writeFileSync(
      join(dir, "cog.yaml"),
      `image: ${uniqueName("cli-validate-never-built")}\nbuild:\n  node_version: "22"\nrun: predict.ts:Predictor\n`,
    );
    writeFileSync(
      join(dir, "predict.ts"),
      "export class Predictor {\n  predict(prompt: string): string {\n    return prompt;\n  }\n}\n",
    );
    const r = await runCog(["run", "-i", "prompt=hi", "-i", "nope=1"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown input "nope"; valid inputs are: prompt');
    expect(r.stderr).not.toMatch(/Building|Step |#\d+ /);
  });
});
