/**
 * Lets the worker import a TypeScript predictor without a build step: `cog run/serve --no-docker` on the author's
 * machine, and `cog serve` through the engine, where the project is mounted into the model base at /src and
 * `COGTS_TRANSPILED_DIR` names the JavaScript the host transpiled it to. In a built image the predictor is
 * already compiled beside its source, so this is not used there.
 */
import { readFileSync } from "node:fs";
import nodeModule, { register } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { transpiledPath, type LoaderData } from "./hooks.js";

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
  if (data.transpiledDir) teachCommonJs(data.transpiledDir, fileURLToPath(data.sdkUrl));
}

interface CommonJsLoader {
  _extensions: Record<string, (module: { _compile(code: string, file: string): void }, file: string) => void>;
  _resolveFilename: (request: string, parent: { filename?: string } | undefined, ...rest: unknown[]) => string;
}

/**
 * A CommonJS project's modules run in Node's own CommonJS loader (see transpiledCopy in hooks.ts), which must then
 * find what the image would have: each .ts file's transpiled JavaScript (in the image it sits beside the source),
 * `./x.js` meaning x.ts, and `cogts` as the SDK (in the image, /src/node_modules/cogts links to it).
 */
function teachCommonJs(transpiledDir: string, sdkFile: string): void {
  const loader = nodeModule as unknown as CommonJsLoader;
  const root = process.cwd();
  const compile: CommonJsLoader["_extensions"][string] = (module, file) => {
    const compiled = transpiledPath(file, root, transpiledDir);
    if (!compiled)
      throw new Error(`cannot load ${file}: cogts transpiled no JavaScript for it (is it outside the project?)`);
    module._compile(readFileSync(compiled, "utf8"), file);
  };
  for (const extension of [".ts", ".cts"]) loader._extensions[extension] = compile;
  const resolveFilename = loader._resolveFilename;
  loader._resolveFilename = function (request, parent, ...rest) {
    try {
      return resolveFilename.call(this, request, parent, ...rest);
    } catch (error) {
      if (request === "cogts") return sdkFile;
      const from = parent?.filename;
      if (from && /\.[cm]?ts$/.test(from) && request.startsWith(".") && /\.c?js$/.test(request)) {
        return resolveFilename.call(this, request.replace(/\.js$/, ".ts").replace(/\.cjs$/, ".cts"), parent, ...rest);
      }
      throw error;
    }
  };
}
