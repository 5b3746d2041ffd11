import { readFile, writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BasePredictor, Input, Path, type Int } from "cogts";
import { trainModel } from "./markov.js";

export interface TrainingOutput {
  /** The trained model; give it to the predictor as `weights` (or run a trained version, where it is COG_WEIGHTS) */
  weights: Path;
  /** Distinct tokens the model knows */
  vocabulary_size: Int;
}

/** Fits the word-level language model to an uploaded text. */
export class Trainer extends BasePredictor {
  /** Train the language model on a text file */
  async train(
    text: Path = Input({ description: "A plain UTF-8 text file to learn from", accept: "text/plain" }),
    order: Int = Input({ description: "Context length in words: longer copies the text more closely", default: 2, ge: 1, le: 4 }),
  ): Promise<TrainingOutput> {
    const source = await readFile(text.path, "utf8");
    const model = trainModel(source, order);
    console.log(`trained on ${source.length} characters: ${model.tokens.length} distinct tokens`);
    const weights = join(await mkdtemp(join(tmpdir(), "training-")), "weights.json");
    await writeFile(weights, JSON.stringify(model));
    return { weights: new Path(weights), vocabulary_size: model.tokens.length };
  }
}
