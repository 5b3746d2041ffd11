/**
 * Lets the worker import a TypeScript predictor without a build step: `cog run/serve --no-docker` on the author's
 * machine, and `cog serve` through the engine, where the project is mounted into the model base at /src and
 * `COGTS_TRANSPILED_DIR` names the JavaScript the host transpiled it to. In a built image the predictor is
 * already compiled beside its source, so this is not used there.
 */
import { register } from "node:module";
import path from "node:path";
import type { LoaderData } from "./hooks.js";

let registered = false;

export function registerTypeScriptLoader(): void {
  if (registered) return;
  registered = true;
  // The transpiled modules carry inline source maps: stack traces then point at the author's .ts lines.
  process.setSourceMapsEnabled(true);
  const data: LoaderData = {
    sdkUrl: new URL("../sdk/index.js", import.meta.url).href,
    transpiledDir: process.env.COGTS_TRANSPILED_DIR ? path.resolve(process.env.COGTS_TRANSPILED_DIR) : undefined,
    sourceRoot: process.cwd(),
  };
  register(new URL("./hooks.js", import.meta.url).href, { data });
}
