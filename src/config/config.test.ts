import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Ajv } from "ajv";
import { configForLabel, defaultImageName, findProjectDir, loadConfig } from "./index.js";
import { closestKey } from "./schema-check.js";
import { UserError } from "../errors.js";
import { PACKAGE_ROOT } from "../version.js";

const FIXTURES = join(PACKAGE_ROOT, "fixtures", "config");

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "cogts-config-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function problemsOf(dir: string, file?: string): Promise<string[]> {
  const err = await loadConfig(dir, file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return (err as UserError).problems;
}

describe("defaultImageName (Cog's rule)", () => {
  it("prefixes cog-, lowercases and turns spaces into dashes", () => {
    expect(defaultImageName("/home/me/My Model")).toBe("cog-my-model");
  });
  it("drops characters outside [a-z0-9-]", () => {
    expect(defaultImageName("/x/Hello_World!.v2")).toBe("cog-helloworldv2");
  });
  it("does not double the prefix", () => {
    expect(defaultImageName("/x/cog-hello")).toBe("cog-hello");
  });
  it("keeps the name within 30 characters", () => {
    const name = defaultImageName("/x/an-extremely-long-project-directory-name");
    expect(name).toBe("cog-an-extremely-long-project-");
    expect(name.length).toBe(30);
  });
});

describe("configForLabel (run.cog.config)", () => {
  it("leaves out empty and false fields and keeps the predictor under predict", async () => {
    const config = await loadConfig(join(FIXTURES, "valid-minimal"));
    expect(configForLabel(config)).toEqual({ build: { node_version: "22" }, predict: "predict.ts:Predictor" });
  });
  it("carries the resolved CUDA and cuDNN of a GPU build", async () => {
    const label = configForLabel(await loadConfig(join(FIXTURES, "valid-gpu-cuda-given")));
    expect(label.build).toEqual({ gpu: true, node_version: "22", cuda: "12.4", cudnn: "9" });
  });
  it("writes a one-source weights list as a plain object, like Cog", async () => {
    const dir = join(FIXTURES, "valid-weights");
    const config = await loadConfig(dir);
    config.weights![1]!.source = [{ uri: "hf://a/b" }];
    const label = configForLabel(config) as { weights: { source: unknown }[] };
    expect(label.weights[1]!.source).toEqual({ uri: "hf://a/b" });
  });
  it("keeps run commands with their secret mounts and drops concurrency.default_target", async () => {
    const label = configForLabel(await loadConfig(join(FIXTURES, "valid-full-cpu"))) as Record<string, any>;
    expect(label.build.run[1].mounts).toEqual([{ type: "secret", id: "hf", target: "/run/secrets/hf" }]);
    expect(label.concurrency).toEqual({ max: 4 });
    expect(JSON.parse(JSON.stringify(label))).toEqual(label);
  });
});

describe("loadConfig", () => {
  it("names the file as the user gave it with -f", async () => {
    const dir = project({ "other.yaml": "build:\n  gpu: false\n  system_packages: 3\n" });
    expect(await problemsOf(dir, "other.yaml")).toEqual([
      expect.stringMatching(/^other\.yaml:3:20: build\.system_packages must be a list/),
    ]);
  });
  it("reports every problem as FILE:LINE:COL: message, in file order", async () => {
    const problems = await problemsOf(join(FIXTURES, "error-many-problems"));
    expect(problems.length).toBe(7);
    for (const p of problems) expect(p).toMatch(/^cog\.yaml:\d+:\d+: \S/);
    const lines = problems.map((p) => Number(p.split(":")[1]));
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });
  it("reads `cuda: 12.10` as the text 12.10, not the number 12.1", async () => {
    const dir = project({ "cog.yaml": "build:\n  gpu: true\n  cuda: 12.10\n" });
    expect(await problemsOf(dir)).toEqual([
      expect.stringContaining("build.cuda 12.10 has no nvidia/cuda runtime image"),
    ]);
  });
  it("suggests cog init when there is no cog.yaml", async () => {
    const dir = project({});
    await expect(loadConfig(dir)).rejects.toThrow(/cog\.yaml not found in .*cog init/);
  });
  it("accepts an absolute -f path", async () => {
    const dir = project({ "x.yaml": "image: abc\n" });
    expect((await loadConfig(dir, join(dir, "x.yaml"))).image).toBe("abc");
  });
});

describe("schemas/cog.yaml.schema.json", () => {
  const schema = JSON.parse(readFileSync(join(PACKAGE_ROOT, "schemas", "cog.yaml.schema.json"), "utf8"));

  it("is a draft-07 schema that compiles in strict mode", () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    ajv.addKeyword({ keyword: "x-message", schemaType: "string" });
    expect(() => ajv.compile(schema)).not.toThrow();
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
  });

  it("describes every key", () => {
    const missing: string[] = [];
    const walk = (node: any, path: string) => {
      for (const [key, child] of Object.entries<any>(node.properties ?? {})) {
        if (!child.description) missing.push(`${path}${key}`);
        walk(child, `${path}${key}.`);
      }
      if (node.items) walk(node.items, path);
      for (const branch of node.anyOf ?? []) walk(branch, path);
    };
    walk(schema, "");
    expect(missing).toEqual([]);
  });

  it("has every Cog 0.22 key, plus build.node_version", () => {
    expect(Object.keys(schema.properties).sort()).toEqual([
      "build",
      "concurrency",
      "environment",
      "image",
      "model",
      "predict",
      "run",
      "train",
      "weights",
    ]);
    expect(Object.keys(schema.properties.build.properties).sort()).toEqual([
      "cuda",
      "cudnn",
      "gpu",
      "node_version",
      "pre_install",
      "python_packages",
      "python_requirements",
      "python_version",
      "run",
      "sdk_version",
      "system_packages",
    ]);
    expect(Object.keys(schema.properties.concurrency.properties).sort()).toEqual(["default_target", "max"]);
  });
});

describe("findProjectDir", () => {
  it("walks up to the directory holding cog.yaml", () => {
    const dir = project({ "cog.yaml": "image: x\n" });
    mkdirSync(join(dir, "a", "b"), { recursive: true });
    expect(findProjectDir(join(dir, "a", "b"))).toBe(dir);
  });
  it("gives undefined when no parent has the file", () => {
    expect(findProjectDir(project({}), "no-such-config-file.yaml")).toBeUndefined();
  });
});

describe("closestKey", () => {
  it("finds transposed and missing letters", () => {
    expect(closestKey("buidl", ["build", "image"])).toBe("build");
    expect(closestKey("enviroment", ["environment", "image"])).toBe("environment");
  });
  it("gives nothing for unrelated words", () => {
    expect(closestKey("frobnicate", ["build", "image"])).toBeUndefined();
  });
});
