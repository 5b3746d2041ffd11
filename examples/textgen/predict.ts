import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { BasePredictor, Input, type ConcatenateIterator, type Int } from "cogts";
import { generate, parseModel, type MarkovModel } from "./markov.js";

/** Pause between tokens, so that a client watching the stream sees it arrive token by token. */
const TOKEN_DELAY_MS = 20;

/** A word-level language model trained on the Declaration of Independence and the Gettysburg Address. */
export class Predictor extends BasePredictor {
  private model!: MarkovModel;

  override async setup(): Promise<void> {
    this.model = parseModel(await readFile(new URL("./model.json", import.meta.url), "utf8"));
    console.log(`loaded model: ${this.model.tokens.length} tokens, order ${this.model.order}`);
  }

  /** Generate text, streamed token by token */
  async *predict(
    prompt: string = Input({ description: "Text to continue (unknown words are skipped)", default: "" }),
    max_tokens: Int = Input({ description: "Number of tokens to generate", default: 60, ge: 1, le: 1000 }),
    temperature: number = Input({ description: "Randomness: low is predictable, high is wild", default: 0.8, ge: 0.05, le: 5 }),
    seed: Int | null = Input({ description: "Random seed; the same seed gives the same text. Leave empty for a random one", default: null }),
  ): ConcatenateIterator<string> {
    const chosenSeed = seed ?? Math.floor(Math.random() * 2 ** 31);
    console.log(`seed ${chosenSeed}`);
    let count = 0;
    for (const token of generate(this.model, { prompt, maxTokens: max_tokens, temperature, seed: chosenSeed })) {
      yield token;
      count++;
      await sleep(TOKEN_DELAY_MS, undefined, { signal: this.signal });
    }
    this.recordMetric("output_token_count", count);
  }
}
