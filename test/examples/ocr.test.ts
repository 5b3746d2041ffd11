import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Path } from "../../runtime/sdk/index.js";
import { importExample, renderTextPng } from "./helpers.js";

interface OcrPredictor {
  setup(): Promise<void>;
  predict(image: Path, language?: string, page_segmentation?: string): Promise<unknown>;
  engine: { close(): Promise<void> };
}
type PredictorClass = new () => OcrPredictor;

const work = mkdtempSync(join(tmpdir(), "ocr-test-"));
let textPredictor: OcrPredictor;
let detailedPredictor: OcrPredictor;
let image: Path;

beforeAll(async () => {
  const { Predictor } = await importExample<{ Predictor: PredictorClass }>("ocr", "predict.ts");
  const { DetailedPredictor } = await importExample<{ DetailedPredictor: PredictorClass }>("ocr", "detailed.ts");
  textPredictor = new Predictor();
  detailedPredictor = new DetailedPredictor();
  await Promise.all([textPredictor.setup(), detailedPredictor.setup()]);
  image = new Path(await renderTextPng(["The quick brown fox", "jumps over the lazy dog"], join(work, "fox.png")));
}, 300_000);

afterAll(async () => {
  await Promise.all([textPredictor?.engine.close(), detailedPredictor?.engine.close()]);
});

describe("examples/ocr", () => {
  it("reads the words of a rendered PNG", async () => {
    const text = (await textPredictor.predict(image)) as string;
    expect(text.toLowerCase()).toContain("quick brown fox");
    expect(text.toLowerCase()).toContain("lazy dog");
  });

  it("reads a single line with the single_line segmentation mode", async () => {
    const line = new Path(await renderTextPng(["Hello world 2024"], join(work, "line.png")));
    const text = (await textPredictor.predict(line, "eng", "single_line")) as string;
    expect(text).toContain("Hello world 2024");
  });

  it("reads French with the French model", async () => {
    const french = new Path(await renderTextPng(["Le café est très chaud"], join(work, "fr.png")));
    const text = (await textPredictor.predict(french, "fra", "single_line")) as string;
    expect(text).toContain("café");
  });

  it("returns words with confidences and boxes inside the image", async () => {
    const result = (await detailedPredictor.predict(image, "eng", "auto")) as {
      text: string;
      confidence: number;
      words: { text: string; confidence: number; box: { x0: number; y0: number; x1: number; y1: number } }[];
    };
    expect(result.text.toLowerCase()).toContain("quick brown fox");
    expect(result.confidence).toBeGreaterThan(50);
    const words = result.words.map((word) => word.text.toLowerCase());
    expect(words).toEqual(expect.arrayContaining(["quick", "brown", "fox", "lazy", "dog"]));
    const fox = result.words.find((word) => word.text.toLowerCase() === "fox")!;
    const lazy = result.words.find((word) => word.text.toLowerCase() === "lazy")!;
    expect(fox.box.x1).toBeGreaterThan(fox.box.x0);
    expect(fox.box.y1).toBeGreaterThan(fox.box.y0);
    // "lazy" is on the second line, below "fox"
    expect(lazy.box.y0).toBeGreaterThan(fox.box.y1 - 5);
  });
});
