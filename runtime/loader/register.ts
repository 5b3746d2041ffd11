/**
 * Lets the worker import a TypeScript predictor without a build step (`cog run/serve --no-docker` on the
 * author's machine). In an image the build has compiled the predictor to JavaScript, so this is never used there.
 */
import { register } from "node:module";

let registered = false;

export function registerTypeScriptLoader(): void {
  if (registered) return;
  registered = true;
  // The transpiled modules carry inline source maps: stack traces then point at the author's .ts lines.
  process.setSourceMapsEnabled(true);
  const sdkUrl = new URL("../sdk/index.js", import.meta.url).href;
  register(new URL("./hooks.js", import.meta.url).href, { data: { sdkUrl } });
}
