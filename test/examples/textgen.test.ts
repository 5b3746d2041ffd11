import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runInScope } from "../../runtime/scope/index.js";
import { exampleDir, importExample } from "./helpers.js";

type Predict = (prompt?: string, max_tokens?: number, temperature?: number, seed?: number | null) => AsyncIterable<string>;
interface Generator {
  setup(): Promise<void>;
  predict: Predict;
}

let predictor: Generator;
let trainOnCorpus: () => unknown;

/** Collects a stream the way the worker runs it: inside a prediction scope. */
async function collect(...args: Parameters<Predict>): Promise<{ tokens: string[]; metrics: Record<string, unknown> }> {
  const metrics: Record<string, unknown> = {};
  const scope = { id: "t", signal: new AbortController().signal, recordMetric: (name: string, value: unknown) => void (metrics[name] = value), context: {} };
  return runInScope(scope, async () => {
    const tokens: string[] = [];
    for await (const token of predictor.predict(...args)) tokens.push(token);
    return { tokens, metrics };
  });
}

beforeAll(async () => {
  const { Predictor } = await importExample<{ Predictor: new () => Generator }>("textgen", "predict.ts");
  ({ trainOnCorpus } = await importExample<{ trainOnCorpus: () => unknown }>("textgen", "train.ts"));
  predictor = new Predictor();
  await predictor.setup();
}, 300_000);

describe("examples/textgen", () => {
  it("streams max_tokens tokens that join into text made of the corpus' words", async () => {
    const { tokens, metrics } = await collect("", 40, 0.8, 42);
    expect(tokens).toHaveLength(40);
    expect(metrics).toEqual({ output_token_count: 40 });
    const text = tokens.join("");
    expect(text).toMatch(/^[A-Z]/);
    expect(text).not.toMatch(/ {2}| [.,;:]/);
    const vocabulary = new Set(readFileSync(join(exampleDir("textgen"), "corpus", "declaration.txt"), "utf8").match(/[A-Za-z]+/g));
    for (const word of text.match(/[A-Za-z]+/g)!) {
      expect(vocabulary.has(word) || readFileSync(join(exampleDir("textgen"), "corpus", "gettysburg.txt"), "utf8").includes(word)).toBe(true);
    }
  });

  it("gives the same text for the same seed and different text for another seed", async () => {
    const first = (await collect("", 30, 1, 7)).tokens.join("");
    const again = (await collect("", 30, 1, 7)).tokens.join("");
    const other = (await collect("", 30, 1, 8)).tokens.join("");
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it("continues a prompt, and at a low temperature follows the text it learned", async () => {
    // Each of these contexts has a single continuation in the corpus.
    const text = (await collect("We hold these", 3, 0.05, 1)).tokens.join("");
    expect(text).toBe(" truths to be");
    const gettysburg = (await collect("Four score and seven", 4, 0.05, 1)).tokens.join("");
    expect(gettysburg).toBe(" years ago our fathers");
  });

  it("ships a model.json that training on corpus/ reproduces exactly", () => {
    const committed = JSON.parse(readFileSync(join(exampleDir("textgen"), "model.json"), "utf8")) as unknown;
    expect(trainOnCorpus()).toEqual(committed);
  });

  it("stops when the prediction is canceled", async () => {
    const controller = new AbortController();
    const scope = { id: "c", signal: controller.signal, recordMetric: () => {}, context: {} };
    const received: string[] = [];
    await expect(
      runInScope(scope, async () => {
        for await (const token of predictor.predict("", 500, 1, 3)) {
          received.push(token);
          if (received.length === 5) controller.abort();
        }
      }),
    ).rejects.toThrow(/abort/i);
    expect(received).toHaveLength(5);
  });
});
