/** Loading a TypeScript predictor without a build step: module hooks (hooks.ts) that register.ts installs. */
export { registerTypeScriptLoader } from "./register.js";
