/**
 * Each example is a valid cogts project: its cog.yaml loads, its predictor type-checks against the SDK with its own
 * tsconfig.json, and the schema cogts derives says what the README promises.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { generateSchema } from "../../src/schema/index.js";
import { exampleDir, installExample, REPO_ROOT } from "./helpers.js";

const run = promisify(execFile);

/** Each example's configs, with the predictor (or trainer) each names. */
const PROJECTS = [
  { example: "ocr", config: "cog.yaml" },
  { example: "ocr", config: "cog.detailed.yaml" },
  { example: "image-edit", config: "cog.yaml" },
  { example: "image-edit", config: "cog.sizes.yaml" },
  { example: "tts", config: "cog.yaml" },
  { example: "textgen", config: "cog.yaml" },
  { example: "classifier", config: "cog.yaml" },
  { example: "classifier", config: "cog.gpu.yaml" },
  { example: "training", config: "cog.yaml" },
];

type Schemas = Record<string, Record<string, any>>;
const schemas = new Map<string, Schemas>();

beforeAll(async () => {
  for (const example of new Set(PROJECTS.map((p) => p.example))) await installExample(example);
  for (const { example, config } of PROJECTS) {
    const dir = exampleDir(example);
    const loaded = await loadConfig(dir, config);
    const document = await generateSchema({ dir, predict: loaded.predict, train: loaded.train, configFile: config });
    schemas.set(`${example}/${config}`, (document as { components: { schemas: Schemas } }).components.schemas);
  }
}, 600_000);

describe("the examples as projects", () => {
  it.each([...new Set(PROJECTS.map((p) => p.example))])("%s: has a lockfile, a README and a tsconfig, and type-checks", async (example) => {
    const dir = exampleDir(example);
    for (const file of ["package.json", "package-lock.json", "tsconfig.json", "README.md", "cog.yaml"]) {
      expect(existsSync(join(dir, file)), `${example}/${file}`).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    expect(pkg.dependencies?.cogts).toBeUndefined(); // provided by the image and by cog run --no-docker
    await run(process.execPath, [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", dir], { timeout: 120_000 });
  });

  it("ocr: a file input that accepts images, languages and segmentation modes as choices, text out", () => {
    const { Input, Output, language } = schemas.get("ocr/cog.yaml")!;
    expect(Input!.properties.image).toMatchObject({ type: "string", format: "uri", "x-cog-accept": "image/*" });
    expect(language!.enum).toEqual(["eng", "fra", "eng+fra"]);
    expect(Input!.properties.page_segmentation).toBeDefined();
    expect(Output).toMatchObject({ type: "string" });
    expect(Input!.required).toEqual(["image"]);
  });

  it("ocr (detailed): an object with words and their boxes out", () => {
    const { Output } = schemas.get("ocr/cog.detailed.yaml")!;
    expect(Output).toMatchObject({ type: "object" });
    expect(Object.keys(Output!.properties).sort()).toEqual(["confidence", "text", "words"]);
    expect(Output!.properties.words.items.properties.box.properties.x0).toMatchObject({ type: "integer" });
  });

  it("image-edit: format and quality inputs, a file out; the sizes variant, a list of files out", () => {
    const { Input, Output, output_format } = schemas.get("image-edit/cog.yaml")!;
    expect(output_format!.enum).toEqual(["webp", "png", "jpg"]);
    expect(Input!.properties.output_quality).toMatchObject({ type: "integer", minimum: 1, maximum: 100, default: 80 });
    expect(Output).toMatchObject({ type: "string", format: "uri" });
    const sizes = schemas.get("image-edit/cog.sizes.yaml")!;
    expect(sizes.Output).toMatchObject({ type: "array", items: { type: "string", format: "uri" } });
    expect(sizes.Input!.properties.widths).toMatchObject({ type: "array", items: { type: "integer" } });
  });

  it("tts: text, voice and speed in, a file out", () => {
    const { Input, Output } = schemas.get("tts/cog.yaml")!;
    expect(Object.keys(Input!.properties)).toEqual(["text", "voice", "speed", "pitch"]);
    expect(Output).toMatchObject({ type: "string", format: "uri" });
  });

  it("textgen: a concatenated token stream", () => {
    const { Input, Output } = schemas.get("textgen/cog.yaml")!;
    expect(Output).toMatchObject({ type: "array", items: { type: "string" }, "x-cog-array-type": "iterator", "x-cog-array-display": "concatenate" });
    expect(Object.keys(Input!.properties)).toEqual(["prompt", "max_tokens", "temperature", "seed"]);
    expect(Input!.properties.seed).toMatchObject({ type: "integer", nullable: true });
  });

  it("classifier: an object out, and the GPU variant's config asks for a GPU", async () => {
    const { Output } = schemas.get("classifier/cog.yaml")!;
    expect(Object.keys(Output!.properties).sort()).toEqual(["confidence", "device", "label", "probabilities"]);
    const gpu = await loadConfig(exampleDir("classifier"), "cog.gpu.yaml");
    expect(gpu.build.gpu).toBe(true);
  });

  it("training: a train() whose output carries the weights as a file", () => {
    const { TrainingInput, TrainingOutput, Input } = schemas.get("training/cog.yaml")!;
    expect(TrainingInput!.properties.text).toMatchObject({ type: "string", format: "uri" });
    expect(TrainingOutput!.properties.weights).toMatchObject({ type: "string", format: "uri" });
    expect(Input!.properties.weights).toMatchObject({ type: "string", format: "uri", nullable: true });
  });
});
