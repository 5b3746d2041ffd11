import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { BasePredictor, Input, Path, type Int } from "cogts";
import { generate, parseModel, trainModel, type MarkovModel } from "./markov.js";

/**
 * Generates text with the model from `train.ts`. Weights come from, in order: the `weights` input of a prediction,
 * `COG_WEIGHTS` (passed to setup() by the server: a local path or an http(s) URL), or a model fitted at setup on
 * the Gettysburg Address shipped as `default.txt`.
 */
export class Predictor extends BasePredictor {
  private model!: MarkovModel;
  private readonly loaded = new Map<string, MarkovModel>();

  override async setup(weights?: string | null): Promise<void> {
    if (weights) {
      this.model = parseModel(await readWeights(weights));
      console.log(`loaded weights from ${weights}: ${this.model.tokens.length} tokens`);
    } else {
      this.model = trainModel(await readFile(new URL("./default.txt", import.meta.url), "utf8"), 2);
      console.log(`no weights given: fitted the default model (${this.model.tokens.length} tokens)`);
    }
  }

  /** Generate text */
  async predict(
    prompt: string = Input({ description: "Text to continue (unknown words are skipped)", default: "" }),
    max_tokens: Int = Input({ description: "Number of tokens to generate", default: 40, ge: 1, le: 1000 }),
    temperature: number = Input({ description: "Randomness: low is predictable, high is wild", default: 0.8, ge: 0.05, le: 5 }),
    seed: Int = Input({ description: "Random seed: the same seed gives the same text", default: 0 }),
    weights: Path | null = Input({ description: "Weights from a training run (weights.json), instead of the model's own", default: null }),
  ): Promise<string> {
    const model = weights ? await this.modelFrom(weights.path) : this.model;
    return [...generate(model, { prompt, maxTokens: max_tokens, temperature, seed })].join("");
  }

  private async modelFrom(file: string): Promise<MarkovModel> {
    let model = this.loaded.get(file);
    if (!model) {
      model = parseModel(await readFile(file, "utf8"));
      this.loaded.set(file, model);
    }
    return model;
  }
}

async function readWeights(location: string): Promise<string> {
  if (/^https?:\/\//.test(location)) {
    const response = await fetch(location);
    if (!response.ok) throw new Error(`COG_WEIGHTS: ${location} answered ${response.status}`);
    return response.text();
  }
  return readFile(location.startsWith("file://") ? fileURLToPath(location) : location, "utf8");
}
