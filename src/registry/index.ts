/**
 * The registry capability: an OCI distribution client (auth, retries), pushing a local image as blobs and a
 * manifest, inspecting and logging in. It knows nothing of the engine: src/docker/push.ts hands it engine images.
 */
export { pushLocalImage, MEDIA_TYPES } from "./push.js";
export type { LocalImage, PushOptions, PushResult } from "./push.js";
export type { EngineImage, LayerSource } from "./layers/index.js";
export { readPushSettings } from "./settings.js";
export type { PushSettings } from "./settings.js";
export { resolveCredentials, saveCredentials } from "./credentials.js";
export { parseReference, defaultRegistryHost } from "./reference.js";
export { createProgress } from "./progress.js";
export type { ProgressSink } from "./progress.js";
export { uuidv7 } from "./push-id.js";
export { inspectRemoteImage } from "./inspect.js";
export { login } from "./login.js";
