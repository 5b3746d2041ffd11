/**
 * Trains the model on every text in corpus/ and writes model.json. Run by `npm run train`; its output is
 * committed, so images and `cog run --no-docker` need no training step.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { trainModel, type MarkovModel } from "./markov.js";

const HERE = dirname(fileURLToPath(import.meta.url));

export function trainOnCorpus(corpusDir = join(HERE, "corpus")): MarkovModel {
  const texts = readdirSync(corpusDir)
    .filter((name) => name.endsWith(".txt"))
    .sort()
    .map((name) => readFileSync(join(corpusDir, name), "utf8"));
  return trainModel(texts.join("\n\n"), 2);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const model = trainOnCorpus();
  writeFileSync(join(HERE, "model.json"), JSON.stringify(model) + "\n");
  console.log(`model.json: ${model.tokens.length} distinct tokens, ${Object.keys(model.next).length} contexts`);
}
