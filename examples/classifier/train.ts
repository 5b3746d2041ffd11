/**
 * Generates the two-moons data, trains the MLP, reports held-out accuracy, and writes model.onnx and metrics.json.
 * Run by `npm run train`; its outputs are committed, so images need no training step.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeMoons, Mlp, type Dataset } from "./mlp.js";
import { encodeMlp } from "./onnx.js";

export const CLASSES = ["upper", "lower"];
const HERE = dirname(fileURLToPath(import.meta.url));

/** The data, always the same: 400 training and 200 held-out points from different seeds. */
export function datasets(): { train: Dataset; heldOut: Dataset } {
  return { train: makeMoons(400, 0.2, 1), heldOut: makeMoons(200, 0.2, 2) };
}

export function trainClassifier(): { model: Buffer; heldOutAccuracy: number; trainAccuracy: number; loss: number } {
  const { train, heldOut } = datasets();
  const mlp = new Mlp([2, 16, 16, 2], 42);
  const loss = mlp.train(train, 600, 0.02);
  return {
    model: encodeMlp(mlp.toDense()),
    heldOutAccuracy: mlp.accuracy(heldOut),
    trainAccuracy: mlp.accuracy(train),
    loss,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { model, heldOutAccuracy, trainAccuracy, loss } = trainClassifier();
  writeFileSync(join(HERE, "model.onnx"), model);
  const metrics = { classes: CLASSES, train_accuracy: trainAccuracy, held_out_accuracy: heldOutAccuracy, loss };
  writeFileSync(join(HERE, "metrics.json"), JSON.stringify(metrics, null, 2) + "\n");
  console.log(`model.onnx: ${model.length} bytes; train accuracy ${trainAccuracy}, held-out accuracy ${heldOutAccuracy}`);
}
