/**
 * The project's TypeScript as JavaScript, for the image: each file transpiled on its own with this package's
 * TypeScript (no type check: `cog schema` and the author's `tsc` do that), honouring the tsconfig options that
 * change emitted code (decorators, JSX, import rewriting). Output goes to `.cog/build/js/` at the same relative
 * paths (x.ts → x.js, x.mts → x.mjs, x.cts → x.cjs); the image build copies it beside the sources in /src.
 *
 * Done on the host at `cog build` time rather than in a build stage: the compiler is already loaded for the
 * schema, no compiler goes into the build context, and a code-only rebuild needs no container step for it.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { UserError } from "../errors.js";

const SKIPPED_DIRS = new Set(["node_modules", ".git", ".cog"]);
const SOURCE = /\.(?:[cm]?ts|tsx)$/;
/** Options that serve type checking and module resolution; with a fixed module kind they only cause option errors. */
const CHECK_ONLY_OPTIONS = [
  "moduleResolution",
  "allowImportingTsExtensions",
  "composite",
  "incremental",
  "paths",
  "baseUrl",
  "outDir",
  "rootDir",
  "noEmit",
];

async function* sources(
  dir: string,
  relative = "",
  ignored: (path: string, isDir: boolean) => boolean,
): AsyncGenerator<string> {
  for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !ignored(child, true)) yield* sources(dir, child, ignored);
    } else if (
      entry.isFile() &&
      SOURCE.test(entry.name) &&
      !/\.d\.[cm]?ts$/.test(entry.name) &&
      !ignored(child, false)
    ) {
      yield child;
    }
  }
}

function outputName(file: string): string {
  const ext = path.extname(file);
  return file.slice(0, -ext.length) + (ext === ".mts" ? ".mjs" : ext === ".cts" ? ".cjs" : ".js");
}

/** Transpiles into `outDir` (emptied first); returns the project-relative paths of the JavaScript written. */
export async function transpileProject(
  dir: string,
  outDir: string,
  ignored: (relativePath: string, isDir: boolean) => boolean = () => false,
): Promise<string[]> {
  const ts = (await import("typescript")).default;
  let options: import("typescript").CompilerOptions = {};
  const tsconfig = path.join(dir, "tsconfig.json");
  if (existsSync(tsconfig)) {
    const read = ts.readConfigFile(tsconfig, ts.sys.readFile);
    if (read.error)
      throw new UserError(`tsconfig.json: ${ts.flattenDiagnosticMessageText(read.error.messageText, "\n")}`);
    options = ts.convertCompilerOptionsFromJson(
      (read.config as { compilerOptions?: object }).compilerOptions ?? {},
      dir,
    ).options;
    for (const key of CHECK_ONLY_OPTIONS) delete options[key];
  }
  let packageType = "commonjs";
  try {
    packageType =
      (JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as { type?: string }).type ?? "commonjs";
  } catch {
    // No package.json: Node treats .js as CommonJS.
  }

  await rm(outDir, { recursive: true, force: true });
  const problems: string[] = [];
  const written: string[] = [];
  for await (const file of sources(dir, "", ignored)) {
    const ext = path.extname(file);
    const esm = ext === ".mts" || (ext !== ".cts" && packageType === "module");
    const result = ts.transpileModule(await readFile(path.join(dir, file), "utf8"), {
      fileName: file,
      reportDiagnostics: true,
      compilerOptions: {
        ...options,
        module: esm ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
        target: options.target ?? ts.ScriptTarget.ES2022,
        sourceMap: false,
        inlineSourceMap: true,
        inlineSources: true,
        declaration: false,
        emitDeclarationOnly: false,
        verbatimModuleSyntax: false,
        isolatedModules: true,
      },
    });
    for (const diagnostic of result.diagnostics ?? []) {
      const where =
        diagnostic.file && diagnostic.start !== undefined
          ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
          : undefined;
      const position = where ? `:${where.line + 1}:${where.character + 1}` : "";
      problems.push(`${file}${position}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`);
    }
    const out = outputName(file);
    await mkdir(path.dirname(path.join(outDir, out)), { recursive: true });
    await writeFile(path.join(outDir, out), result.outputText);
    written.push(out);
  }
  if (problems.length > 0) throw new UserError("The TypeScript sources cannot be compiled:", problems);
  return written;
}
