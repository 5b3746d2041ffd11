/**
 * One module-resolution rule for every place a predictor runs: `cog run/serve --no-docker`, `cog serve` with the
 * project mounted, and the built image. The image runs the JavaScript `cog build` transpiles each file to, with
 * Node's own resolution; in an ES module (package.json `"type": "module"`, or a `.mts` file) Node resolves no
 * missing extension and no directory index, so `import "./helper"` fails there while a TypeScript loader on the
 * host would find helper.ts. Rather than let a model work locally and break in the image, `cog doctor`,
 * `cog build` and the `--no-docker` commands refuse such an import, at its `file:line:col`, with the specifier to
 * write instead. In a CommonJS package, `require("./helper")` finds helper.js in the image too, so it is allowed.
 */
import { existsSync, statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

const SKIPPED_DIRS = new Set(["node_modules", ".git", ".cog"]);

/** The TypeScript sources `cog build` transpiles (src/model/transpile.ts walks the same way). */
async function* sources(
  dir: string,
  relative: string,
  ignored: (path: string, isDir: boolean) => boolean,
): AsyncGenerator<string> {
  for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !ignored(child, true)) yield* sources(dir, child, ignored);
    } else if (
      entry.isFile() &&
      /\.(?:[cm]?ts|tsx)$/.test(entry.name) &&
      !/\.d\.[cm]?ts$/.test(entry.name) &&
      !ignored(child, false)
    ) {
      yield child;
    }
  }
}

async function projectModuleType(dir: string): Promise<string> {
  try {
    return (JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as { type?: string }).type ?? "commonjs";
  } catch {
    return "commonjs";
  }
}

const NO_EXTENSION_NEEDED = new Set([".js", ".mjs", ".cjs", ".json", ".node", ".wasm"]);

function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}

/** What to write instead of `specifier`, or undefined when Node resolves it as written. */
function fixFor(fromDir: string, specifier: string): string | undefined {
  const target = path.resolve(fromDir, specifier);
  if (isFile(target) && NO_EXTENSION_NEEDED.has(path.extname(target))) return undefined;
  const trimmed = specifier.replace(/\/+$/, "");
  for (const [source, output] of [
    [".ts", ".js"],
    [".tsx", ".js"],
    [".mts", ".mjs"],
    [".cts", ".cjs"],
    [".js", ".js"],
    [".mjs", ".mjs"],
  ] as const) {
    if (isFile(`${target}${source}`)) return `${trimmed}${output}`;
  }
  for (const [source, output] of [
    ["index.ts", "index.js"],
    ["index.tsx", "index.js"],
    ["index.js", "index.js"],
  ] as const) {
    if (isFile(path.join(target, source))) return `${trimmed}/${output}`;
  }
  // A .ts file named with its own extension: the image holds the .js beside it, which Node runs.
  if (/\.[cm]?tsx?$/.test(specifier) && isFile(target))
    return specifier
      .replace(/\.tsx?$/, ".js")
      .replace(/\.mts$/, ".mjs")
      .replace(/\.cts$/, ".cjs");
  return undefined;
}

/**
 * Relative imports in the project's ES-module TypeScript files that Node cannot resolve in the image, as
 * `file:line:col: …` lines (empty when there are none). `ignored` is the build context's filter.
 */
export async function checkRelativeImports(
  dir: string,
  ignored: (relativePath: string, isDir: boolean) => boolean = () => false,
): Promise<string[]> {
  const ts = (await import("typescript")).default;
  const packageType = await projectModuleType(dir);
  const problems: string[] = [];
  for await (const file of sources(dir, "", ignored)) {
    const ext = path.extname(file);
    if (ext === ".cts" || (ext !== ".mts" && packageType !== "module")) continue;
    const text = await readFile(path.join(dir, file), "utf8");
    const info = ts.preProcessFile(text, true, true);
    for (const reference of info.importedFiles) {
      const specifier = reference.fileName;
      if (!/^\.\.?(?:\/|$)/.test(specifier)) continue;
      const fix = fixFor(path.dirname(path.join(dir, file)), specifier);
      if (fix === undefined) continue;
      const where = ts.getLineAndCharacterOfPosition(
        ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false),
        reference.pos,
      );
      problems.push(
        `${file}:${where.line + 1}:${where.character + 1}: "${specifier}" names no file Node can load in an ES module ` +
          `(the image runs the compiled JavaScript, where Node adds no extension): write "${fix}"`,
      );
    }
  }
  return problems;
}
