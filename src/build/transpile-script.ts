/**
 * The script the image build runs (in the `code` stage) to turn the project's TypeScript into JavaScript beside
 * it. It is written into the build context with the TypeScript compiler (`typescript.js`) next to it, so a build
 * needs no npm registry for this and the compiler never reaches the final image.
 *
 * Each file is transpiled on its own (no type check: `cog schema`/`tsc` on the author's machine do that), with
 * the project's tsconfig options that change emitted code (decorators, JSX, import rewriting) honoured.
 */
export const TRANSPILE_SCRIPT = String.raw`// Written by cogts: transpiles the TypeScript under a directory in place (x.ts -> x.js, x.mts -> x.mjs, x.cts -> x.cjs).
import { createRequire } from "node:module";
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";

const ts = createRequire(import.meta.url)("./typescript.js");
const root = path.resolve(process.argv[2] ?? ".");
const SKIP = new Set(["node_modules", ".git", ".cog"]);

let options = {};
const tsconfigPath = path.join(root, "tsconfig.json");
if (existsSync(tsconfigPath)) {
  const read = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
  if (read.error) fail(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  options = ts.convertCompilerOptionsFromJson(read.config.compilerOptions ?? {}, root).options;
  // Resolution options serve type checking; with a fixed module kind they only produce option errors here.
  for (const key of ["moduleResolution", "allowImportingTsExtensions", "composite", "incremental", "paths", "baseUrl"]) delete options[key];
}
let packageType = "commonjs";
try { packageType = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).type ?? "commonjs"; } catch {}

const failures = [];
let count = 0;
for (const file of walk(root)) {
  const ext = path.extname(file);
  const esm = ext === ".mts" || (ext !== ".cts" && packageType === "module");
  const out = file.slice(0, -ext.length) + (ext === ".mts" ? ".mjs" : ext === ".cts" ? ".cjs" : ".js");
  const result = ts.transpileModule(readFileSync(file, "utf8"), {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: {
      ...options,
      module: esm ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
      target: options.target ?? ts.ScriptTarget.ES2022,
      sourceMap: false, inlineSourceMap: true, inlineSources: true, declaration: false, noEmit: false,
      verbatimModuleSyntax: false, isolatedModules: true, emitDeclarationOnly: false,
    },
  });
  for (const d of result.diagnostics ?? []) {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    failures.push(path.relative(root, file) + (where ? ":" + (where.line + 1) + ":" + (where.character + 1) : "") + ": " + ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  }
  writeFileSync(out, result.outputText);
  count++;
}
if (failures.length) fail(failures.join("\n"));
console.log("cogts: compiled " + count + " TypeScript file(s)");

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) { if (!SKIP.has(entry.name)) yield* walk(full); }
    else if (/\.(?:[cm]?ts|tsx)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) yield full;
  }
}
function fail(message) { console.error("cogts: cannot compile TypeScript:\n" + message); process.exit(1); }
`;
