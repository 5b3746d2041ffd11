/**
 * The client of a running predictor, wherever it runs (the local server of `--no-docker`, a container of the
 * image): `-i` flags and `--json` into the prediction's input, checked against the schema before anything starts,
 * waiting until setup finished, one prediction (or training), its outputs on disk and stdout.
 *
 *   const input = buildInputs(["prompt=hi"], openapi, { cwd });
 *   checkInputs(input, openapi);
 *   await waitUntilReady(url, { timeoutMs: 300_000 });
 *   await runOnePrediction(url, input, openapi, { cwd, stdout, stderr });
 */
export {
  type HealthState,
  type ReadinessErrors,
  type WaitOptions,
  healthCheck,
  readiness,
  waitUntilReady,
} from "./ready.js";
export { waitForContainer } from "./container.js";
export { buildInputs, fileDataUrl, readJsonInput, runOnePrediction, type PredictionIo } from "./io.js";
export { extensionForMime, writeOutputs, type WriteOptions, type WrittenOutputs } from "./outputs.js";
export { canCheckInputs, checkInputNames, checkInputs, inputComponent } from "./validate.js";
