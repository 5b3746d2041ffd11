import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { isPath, Path } from "../../runtime/sdk/index.js";
import { importExample } from "./helpers.js";

interface TrainerInstance {
  train(text: Path, order?: number): Promise<{ weights: Path; vocabulary_size: number }>;
}
interface PredictorInstance {
  setup(weights?: string | null): Promise<void>;
  predict(prompt?: string, max_tokens?: number, temperature?: number, seed?: number, weights?: Path | null): Promise<string>;
}

const work = mkdtempSync(join(tmpdir(), "training-test-"));
const NURSERY = "The cat sat on the mat. The dog sat on the log. The cat saw the dog. The dog saw the frog on the log.";
let Trainer: new () => TrainerInstance;
let Predictor: new () => PredictorInstance;

function words(text: string): string[] {
  return text.match(/[A-Za-z]+/g) ?? [];
}

beforeAll(async () => {
  ({ Trainer } = await importExample<{ Trainer: typeof Trainer }>("training", "train.ts"));
  ({ Predictor } = await importExample<{ Predictor: typeof Predictor }>("training", "predict.ts"));
}, 300_000);

describe("examples/training", () => {
  let weights: Path;

  beforeAll(async () => {
    const text = join(work, "nursery.txt");
    writeFileSync(text, NURSERY);
    const output = await new Trainer().train(new Path(text), 2);
    expect(isPath(output.weights)).toBe(true);
    weights = output.weights;
    expect(output.vocabulary_size).toBe(new Set([...words(NURSERY), "."]).size);
  });

  it("writes weights that are a model of the uploaded text", () => {
    const model = JSON.parse(readFileSync(weights.path, "utf8")) as { order: number; tokens: string[] };
    expect(model.order).toBe(2);
    expect(model.tokens).toEqual(expect.arrayContaining(["cat", "mat", "frog", "log"]));
  });

  it("generates from the default model without weights, and from the trained one with a weights input", async () => {
    const predictor = new Predictor();
    await predictor.setup(null);
    const before = await predictor.predict("", 30, 1, 5, null);
    const after = await predictor.predict("", 30, 1, 5, weights);
    const nursery = new Set(words(NURSERY));
    expect(words(before).some((word) => !nursery.has(word))).toBe(true); // Gettysburg words
    expect(words(after).length).toBeGreaterThan(10);
    expect(words(after).every((word) => nursery.has(word))).toBe(true);
    expect(after).not.toBe(before);
  });

  it("loads trained weights given to setup, as COG_WEIGHTS is", async () => {
    const predictor = new Predictor();
    await predictor.setup(weights.path);
    const text = await predictor.predict("The frog", 12, 1, 9, null);
    const nursery = new Set(words(NURSERY));
    expect(words(text).every((word) => nursery.has(word))).toBe(true);
  });

  it("refuses a weights file that is not a model, saying what it expected", async () => {
    const bogus = join(work, "bogus.json");
    writeFileSync(bogus, JSON.stringify({ hello: "world" }));
    const predictor = new Predictor();
    await expect(predictor.setup(bogus)).rejects.toThrow(/not a Markov model file/);
  });

  it("refuses to train on a text without words", async () => {
    const empty = join(work, "empty.txt");
    writeFileSync(empty, "   \n");
    await expect(new Trainer().train(new Path(empty), 2)).rejects.toThrow(/at least two words/);
  });
});
