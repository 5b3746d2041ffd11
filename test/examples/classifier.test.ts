import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { exampleDir, importExample, readJson } from "./helpers.js";

interface Classification {
  label: string;
  confidence: number;
  probabilities: Record<string, number>;
  device: string;
}
interface Classifier {
  setup(): Promise<void>;
  predict(x: number, y: number): Promise<Classification>;
  classify(points: number[][]): Promise<number[][]>;
}
interface TrainModule {
  datasets(): { train: { features: number[][]; labels: number[] }; heldOut: { features: number[][]; labels: number[] } };
  trainClassifier(): { model: Buffer; heldOutAccuracy: number };
}

/** The accuracy the shipped model must reach on points it never saw. */
const HELD_OUT_THRESHOLD = 0.95;

let classifier: Classifier;
let training: TrainModule;
let setupLog: string;

beforeAll(async () => {
  const { Predictor } = await importExample<{ Predictor: new () => Classifier }>("classifier", "predict.ts");
  training = await importExample<TrainModule>("classifier", "train.ts");
  classifier = new Predictor();
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  await classifier.setup();
  setupLog = log.mock.calls.map((call) => call.join(" ")).join("\n");
  log.mockRestore();
}, 300_000);

describe("examples/classifier", () => {
  it(`classifies the held-out set through ONNX Runtime with accuracy above ${HELD_OUT_THRESHOLD}`, async () => {
    const { heldOut } = training.datasets();
    const probabilities = await classifier.classify(heldOut.features);
    const correct = probabilities.filter((p, i) => p.indexOf(Math.max(...p)) === heldOut.labels[i]).length;
    const accuracy = correct / heldOut.labels.length;
    expect(accuracy).toBeGreaterThan(HELD_OUT_THRESHOLD);
    // The figure the example reports in metrics.json is the one ONNX Runtime reproduces.
    const metrics = readJson<{ held_out_accuracy: number }>(join(exampleDir("classifier"), "metrics.json"));
    expect(accuracy).toBeCloseTo(metrics.held_out_accuracy, 2);
  });

  it("returns a label with probabilities that sum to one", async () => {
    // The tip of each moon is far from the other one.
    const top = await classifier.predict(0, 1);
    const bottom = await classifier.predict(1, -0.5);
    expect(top.label).toBe("upper");
    expect(bottom.label).toBe("lower");
    expect(top.confidence).toBeGreaterThan(0.9);
    expect(top.probabilities.upper! + top.probabilities.lower!).toBeCloseTo(1, 5);
    expect(top.device).toBe("cpu");
  });

  it("falls back to the CPU with a log line when CUDA is not there", () => {
    expect(setupLog).toMatch(/CUDA execution provider not available \(.+\); falling back to CPU/);
    expect(setupLog).toContain("model loaded on cpu");
  });

  it("ships the ONNX model that its training script produces", () => {
    const { model, heldOutAccuracy } = training.trainClassifier();
    expect(heldOutAccuracy).toBeGreaterThan(HELD_OUT_THRESHOLD);
    expect(model.equals(readFileSync(join(exampleDir("classifier"), "model.onnx")))).toBe(true);
  });
});
