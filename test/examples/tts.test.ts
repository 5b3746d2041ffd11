import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { isPath, type Path } from "../../runtime/sdk/index.js";
import { runInScope } from "../../runtime/scope/index.js";
import { importExample } from "./helpers.js";
import { parseWav } from "./wav.js";

type Speak = (text: string, voice?: string, speed?: number, pitch?: number) => Promise<Path>;
let predict: Speak;

/** Runs a prediction the way the worker does: inside a scope that carries its cancellation signal. */
function inPrediction<T>(fn: () => Promise<T>, signal = new AbortController().signal): Promise<T> {
  return runInScope({ id: "test", signal, recordMetric: () => {}, context: {} }, fn);
}

beforeAll(async () => {
  const { Predictor } = await importExample<{ Predictor: new () => { predict: Speak } }>("tts", "predict.ts");
  const predictor = new Predictor();
  predict = predictor.predict.bind(predictor);
}, 300_000);

const SENTENCE = "The quick brown fox jumps over the lazy dog.";

describe("examples/tts", () => {
  it("writes a mono 16-bit PCM WAV of a plausible length", async () => {
    const output = await inPrediction(() => predict(SENTENCE, "en-us", 175, 50));
    expect(isPath(output)).toBe(true);
    expect(output.path).toMatch(/\.wav$/);
    const wav = parseWav(readFileSync(output.path));
    expect(wav).toMatchObject({ format: 1, channels: 1, bitsPerSample: 16 });
    expect(wav.sampleRate).toBeGreaterThanOrEqual(16_000);
    // Nine words at 175 words per minute: about three seconds of speech.
    expect(wav.seconds).toBeGreaterThan(1.5);
    expect(wav.seconds).toBeLessThan(8);
    // Not silence: some samples are loud.
    const samples = readFileSync(output.path).subarray(44);
    let peak = 0;
    for (let i = 0; i + 1 < samples.length; i += 2) peak = Math.max(peak, Math.abs(samples.readInt16LE(i)));
    expect(peak).toBeGreaterThan(1000);
  });

  it("speaks slower at a lower speed", async () => {
    const fast = parseWav(readFileSync((await inPrediction(() => predict(SENTENCE, "en-gb", 300, 50))).path));
    const slow = parseWav(readFileSync((await inPrediction(() => predict(SENTENCE, "en-gb", 100, 50))).path));
    expect(slow.seconds).toBeGreaterThan(fast.seconds * 1.8);
  });

  it("speaks text that looks like a command-line flag as text", async () => {
    const output = await inPrediction(() => predict("--help -v", "en-us", 175, 50));
    expect(parseWav(readFileSync(output.path)).seconds).toBeGreaterThan(0.3);
  });

  it("stops espeak-ng when the prediction is canceled", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(inPrediction(() => predict(SENTENCE.repeat(50), "en-us", 80, 50), controller.signal)).rejects.toThrow(/abort/i);
  });
});
