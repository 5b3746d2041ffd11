/**
 * Module loader hooks (node:module `register`): transpile `.ts`/`.mts` with TypeScript's `transpileModule`
 * (types are not checked: that is `cog schema`'s and the editor's job), let NodeNext-style `./x.js` imports
 * find `./x.ts`, and resolve `cogts` to this package's SDK when the project has not installed it.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

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

let sdkUrl = "";

export function initialize(data: { sdkUrl: string }): void {
  sdkUrl = data.sdkUrl;
}

const TS_FILE = /\.(m?ts|tsx)$/;

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<ResolveResult> {
  if (specifier === "cogts") {
    try {
      return await nextResolve(specifier, context);
    } catch {
      return { url: sdkUrl, format: "module", shortCircuit: true };
    }
  }
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const fromTs = context.parentURL && TS_FILE.test(context.parentURL);
    if (fromTs && (specifier.startsWith(".") || specifier.startsWith("/")) && /\.m?js$/.test(specifier)) {
      const candidate = new URL(specifier.replace(/\.js$/, ".ts").replace(/\.mjs$/, ".mts"), context.parentURL);
      if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
    }
    if (fromTs && (specifier.startsWith(".") || specifier.startsWith("/")) && !/\.[a-z]+$/.test(specifier)) {
      const candidate = new URL(`${specifier}.ts`, context.parentURL);
      if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
    }
    throw error;
  }
}

let typescript: typeof import("typescript") | undefined;

export async function load(url: string, context: { format?: string | null }, nextLoad: NextLoad): Promise<LoadResult> {
  if (!url.startsWith("file:") || !TS_FILE.test(url)) return nextLoad(url, context);
  try {
    typescript ??= ((await import("typescript")) as { default: typeof import("typescript") }).default;
  } catch {
    throw new Error(
      `cannot load ${fileURLToPath(url)}: it is TypeScript with no compiled .js beside it, and the typescript package ` +
        "is not installed here (images built by cogts hold the compiled predictor; locally, install cogts's dependencies)",
    );
  }
  const ts = typescript;
  const source = await readFile(fileURLToPath(url), "utf8");
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
