/**
 * The client of a running predictor, wherever it runs (the local server of `--no-docker`, a container of the
 * image): `-i` flags into the prediction's input, waiting until setup finished, one prediction, its outputs on
 * disk and stdout.
 *
 *   await waitUntilReady(url, { timeoutMs: 300_000 });
 *   await runOnePrediction(url, buildInputs(["prompt=hi"], openapi, { cwd }), openapi, { cwd, stdout, stderr });
 */
export { type HealthState, type ReadinessErrors, type WaitOptions, healthCheck, readiness, waitUntilReady } from "./ready.js";
export { waitForContainer } from "./container.js";
export { buildInputs, fileDataUrl, runOnePrediction, writeOutputs } from "./io.js";
