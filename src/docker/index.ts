/**
 * The Docker engine: connecting to it, building, running model containers, pulling and pushing images. Loading this
 * loads dockerode and the registry client, so callers import it lazily, when they need the engine.
 */
export { type EngineStatus, endpointOf, engineStatus, requireEngine } from "./engine.js";
export { buildImage } from "./build.js";
export { parseSecret } from "./session.js";
export { containerLogs, createAndStart, startModelServer, withContainer } from "./container.js";
export { type ProgressMode, createProgress, parseProgressMode } from "./progress.js";
export { pullImage } from "./pull.js";
export { pushImage } from "./push.js";
