/**
 * Module loader hooks (node:module `register`): give Node JavaScript for `.ts`/`.mts` files (types are not
 * checked: that is `cog schema`'s and the editor's job), let NodeNext-style `./x.js` imports find `./x.ts`, and
 * resolve `cogts` to this package's SDK when the project has not installed it.
 *
 * Where the JavaScript comes from, first that applies:
 * 1. `transpiledDir`: JavaScript the host already transpiled (`cog serve` mounts the project at /src and the
 *    output of `cog build`'s transpiler at /src/.cog/build/js); it honours the project's tsconfig and works on
 *    any Node version.
 * 2. The `typescript` package, where it is installed (`--no-docker` runs on the author's machine).
 * 3. Node's own `module.stripTypeScriptTypes` (Node 22.13+), in transform mode so enums and parameter properties
 *    work; decorators need 1 or 2.
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import * as nodeModule from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

interface ResolveContext {
  parentURL?: string;
  conditions: string[];
}
interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<ResolveResult>;
interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array | null;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context: { format?: string | null }) => Promise<LoadResult>;

export interface LoaderData {
  sdkUrl: string;
  /** A directory of already transpiled JavaScript mirroring `sourceRoot` (x.ts → x.js, x.mts → x.mjs). */
  transpiledDir?: string;
  sourceRoot?: string;
}

let sdkUrl = "";
let transpiledDir: string | undefined;
let sourceRoot = "";

export function initialize(data: LoaderData): void {
  sdkUrl = data.sdkUrl;
  transpiledDir = data.transpiledDir;
  sourceRoot = data.sourceRoot ?? process.cwd();
}

const TS_FILE = /\.(m?ts|tsx)$/;

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: NextResolve,
): Promise<ResolveResult> {
  if (specifier === "cogts") {
    try {
      return await nextResolve(specifier, context);
    } catch {
      return { url: sdkUrl, format: "module", shortCircuit: true };
    }
  }
  const fromTs = context.parentURL !== undefined && TS_FILE.test(context.parentURL);
  const relative = specifier.startsWith(".") || specifier.startsWith("/");
  // `./x.js` written in x's TypeScript importer means x.ts: a stale x.js left beside it (a local tsc run) is not it.
  if (fromTs && relative && /\.m?js$/.test(specifier)) {
    const candidate = new URL(specifier.replace(/\.js$/, ".ts").replace(/\.mjs$/, ".mts"), context.parentURL);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
  }
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (fromTs && (specifier.startsWith(".") || specifier.startsWith("/")) && !/\.[a-z]+$/.test(specifier)) {
      const candidate = new URL(`${specifier}.ts`, context.parentURL);
      if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
    }
    throw error;
  }
}

/** How Node would run the compiled file: .mjs/.cjs say so, .js follows the nearest package.json `type`. */
function formatOf(compiledFile: string): "module" | "commonjs" {
  if (compiledFile.endsWith(".mjs")) return "module";
  if (compiledFile.endsWith(".cjs")) return "commonjs";
  for (let dir = path.dirname(compiledFile); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, "utf8")) as { type?: string }).type === "module"
          ? "module"
          : "commonjs";
      } catch {
        return "commonjs";
      }
    }
    if (path.dirname(dir) === dir) return "commonjs";
  }
}

/** Where `transpiledDir` holds the host-transpiled JavaScript of a source file (x.ts → x.js, x.mts → x.mjs). */
export function transpiledPath(file: string, root: string, dir: string | undefined): string | undefined {
  if (!dir) return undefined;
  const relative = path.relative(root, file);
  if (relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
  const compiled = path.join(
    dir,
    relative
      .replace(/\.mts$/, ".mjs")
      .replace(/\.cts$/, ".cjs")
      .replace(/\.tsx?$/, ".js"),
  );
  return existsSync(compiled) ? compiled : undefined;
}

/** The host-transpiled JavaScript of a source file, if `transpiledDir` holds it. */
async function transpiledCopy(file: string): Promise<LoadResult | undefined> {
  const compiled = transpiledPath(file, sourceRoot, transpiledDir);
  if (!compiled) return undefined;
  // The format is that of the compiled file where the image would have put it: beside the source.
  const format = formatOf(path.join(path.dirname(file), path.basename(compiled)));
  // CommonJS goes to Node's own CommonJS loader (no source here), as in the image: given source, Node 22 runs the
  // module with the ESM loader's stand-in `require`, which cannot load the (ESM) SDK. register.ts teaches that
  // loader the transpiled .ts files.
  if (format === "commonjs") return { format, source: null, shortCircuit: true };
  return { format, source: await readFile(compiled, "utf8"), shortCircuit: true };
}

let typescript: typeof import("typescript") | null | undefined;

async function loadTypeScript(): Promise<typeof import("typescript") | null> {
  if (typescript === undefined) {
    try {
      typescript = ((await import("typescript")) as { default: typeof import("typescript") }).default;
    } catch {
      typescript = null;
    }
  }
  return typescript;
}

type StripTypes = (code: string, options: { mode: "transform"; sourceMap: boolean; sourceUrl: string }) => string;

export async function load(url: string, context: { format?: string | null }, nextLoad: NextLoad): Promise<LoadResult> {
  if (!url.startsWith("file:") || !TS_FILE.test(url)) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const transpiled = await transpiledCopy(file);
  if (transpiled) return transpiled;
  const source = await readFile(file, "utf8");
  const ts = await loadTypeScript();
  if (!ts) {
    const strip = (nodeModule as { stripTypeScriptTypes?: StripTypes }).stripTypeScriptTypes;
    if (!strip) {
      throw new Error(
        `cannot load ${file}: it is TypeScript with no compiled .js beside it, the typescript package is not installed ` +
          `here, and Node ${process.version} cannot strip types (that needs Node 22.13 or newer). Images built by ` +
          "cogts hold the compiled predictor; locally, install cogts's dependencies.",
      );
    }
    const fileUrl = pathToFileURL(file).href;
    return {
      format: "module",
      source: strip(source, { mode: "transform", sourceMap: true, sourceUrl: fileUrl }),
      shortCircuit: true,
    };
  }
  const output = ts.transpileModule(source, {
    fileName: fileURLToPath(url),
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      sourceMap: false,
      inlineSourceMap: true,
      experimentalDecorators: true,
      jsx: ts.JsxEmit.ReactJSX,
    },
  });
  return { format: "module", source: output.outputText, shortCircuit: true };
}
