/**
 * Type-checking a project's own TypeScript, as `tsc --noEmit` would with its tsconfig.json, for `cog doctor` and
 * `cog build`. Problems in node_modules and in declaration files are not the author's to fix and are left out.
 *
 *   const { problems } = await typecheckProject({ dir, entries: ["predict.ts"] });
 *   // ["predict.ts:7:5: Type 'number' is not assignable to type 'string'. (TS2322)"]
 *
 * A project that has not installed `cogts` or `@types/node` gets this package's own copies, as `cog run
 * --no-docker` and the image give it the SDK; a dependency listed in package.json but not installed here is a note,
 * not a problem: the image installs it, and `cog build` needs no local `npm install`.
 */
import { existsSync, readFileSync } from "node:fs";
import * as nodeModule from "node:module";
import { createRequire } from "node:module";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type * as TS from "typescript";
import { PACKAGE_ROOT } from "../version.js";
import { lookupTypecheck, storeTypecheck } from "./typecheck-cache.js";

interface TypecheckRequest {
  /** The project folder (where cog.yaml is). */
  dir: string;
  /** Project-relative TypeScript files that must be checked even if tsconfig.json leaves them out (run:, train:). */
  entries?: string[];
}

interface TypecheckResult {
  /** `FILE:LINE:COL: message (TSnnnn)`, FILE relative to the project, in file then position order. */
  problems: string[];
  /** Worth knowing, not wrong (a dependency whose types could not be checked). */
  notes: string[];
  /** How many of the project's own files were checked (0: nothing to check, e.g. a Python predictor). */
  files: number;
  /** "tsconfig.json" when its options were used, else undefined (cogts's defaults). */
  tsconfig?: string;
}

// Node 22.1+ keeps V8's compiled code of the 9 MB compiler on disk between runs (see src/schema/ts-morph.ts).
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const requireHere = createRequire(import.meta.url);

/** Options that only matter for emitting; with noEmit some of them are errors tsc would not report. */
const EMIT_ONLY_OPTIONS = [
  "composite",
  "incremental",
  "tsBuildInfoFile",
  "declaration",
  "declarationMap",
  "emitDeclarationOnly",
  "outFile",
] as const;
const TS_SOURCE = /\.(?:[cm]?ts|tsx)$/;

/**
 * Without a tsconfig.json: what the build's transpiler assumes (ES2022, one file at a time) checked the way Node
 * runs the result (NodeNext: package.json `type` decides ESM or CommonJS, relative imports need their extension).
 */
function defaultOptions(ts: typeof TS): TS.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2023.d.ts"],
    esModuleInterop: true,
    resolveJsonModule: true,
    skipLibCheck: true,
  };
}

/**
 * Type-checks the project's TypeScript; never throws for problems in it (they are returned). Cached by what it
 * read (see typecheck-cache.ts). `background` runs the compiler in a worker thread, so that the caller's own work
 * (doctor's schema check) goes on beside it; from the sources (tests) it runs in this thread.
 */
export async function typecheckProject(
  { dir, entries = [] }: TypecheckRequest,
  { background = false } = {},
): Promise<TypecheckResult> {
  const root = path.resolve(dir);
  const key = JSON.stringify(entries);
  const compilerVersion = (requireHere("typescript/package.json") as { version: string }).version;
  const cached = lookupTypecheck<TypecheckResult>(root, key, compilerVersion);
  if (cached) return cached;
  const compiled = import.meta.url.endsWith(".js");
  const { result, filesRead } = background && compiled ? await checkInWorker(root, entries) : checkHere(root, entries);
  storeTypecheck(root, key, compilerVersion, filesRead, result);
  return result;
}

interface CheckOutcome {
  result: TypecheckResult;
  /** Every file the compiler read, for the cache. */
  filesRead: string[];
}

/** The check in this thread (also what typecheck-worker.ts runs). */
export function checkHere(root: string, entries: string[]): CheckOutcome {
  const filesRead = new Set<string>();
  const result = check(requireHere("typescript") as typeof TS, root, entries, filesRead);
  return { result, filesRead: [...filesRead] };
}

function checkInWorker(root: string, entries: string[]): Promise<CheckOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./typecheck-worker.js", import.meta.url), { workerData: { root, entries } });
    worker.once("message", (outcome: CheckOutcome) => resolve(outcome));
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the type-check worker exited with code ${code} before answering`)));
  });
}

function check(ts: typeof TS, root: string, entries: string[], filesRead: Set<string>): TypecheckResult {
  const problems: Located[] = [];
  const declared = declaredDependencies(root);
  const notes = new Set<string>();
  const tsconfigPath = path.join(root, "tsconfig.json");
  let options: TS.CompilerOptions;
  let fileNames: string[];
  let tsconfig: string | undefined;
  if (existsSync(tsconfigPath)) {
    tsconfig = "tsconfig.json";
    let fatal: TS.Diagnostic | undefined;
    const parsed = ts.getParsedCommandLineOfConfigFile(
      tsconfigPath,
      {},
      {
        ...ts.sys,
        readFile: (file) => (filesRead.add(file), ts.sys.readFile(file)),
        onUnRecoverableConfigFileDiagnostic: (diagnostic) => (fatal = diagnostic),
      },
    );
    if (!parsed || fatal) {
      return {
        problems: [fatal ? formatDiagnostic(ts, root, fatal, "tsconfig.json") : "tsconfig.json: cannot be read"],
        notes: [],
        files: 0,
        tsconfig,
      };
    }
    for (const diagnostic of parsed.errors) {
      // "No inputs were found" is not a problem when cog.yaml names the files.
      if (diagnostic.code === 18003 && entries.length > 0) continue;
      const missing = uninstalledDependency(diagnostic, declared);
      if (missing)
        notes.add(
          `tsconfig.json extends a file of ${missing}, which package.json lists but is not installed here: checked without its options (run npm install to use them).`,
        );
      else problems.push(locate(ts, root, diagnostic, "tsconfig.json"));
    }
    options = parsed.options;
    fileNames = parsed.fileNames;
  } else {
    options = defaultOptions(ts);
    fileNames = [];
  }
  for (const key of EMIT_ONLY_OPTIONS) delete options[key];
  options.noEmit = true;
  // The build transpiles one file at a time: what that cannot compile (a re-exported type, a const enum from
  // another file) is an error here, as it would be a crash in the image.
  options.isolatedModules = true;
  const roots = [
    ...new Set([
      ...fileNames.map((file) => path.resolve(file)),
      ...entries.filter((file) => TS_SOURCE.test(file)).map((file) => path.join(root, file)),
    ]),
  ];
  if (roots.length === 0) return { problems: [], notes: [], files: 0, tsconfig };

  const host = ts.createCompilerHost(options, true);
  const { readFile, getSourceFile } = host;
  host.readFile = (file) => (filesRead.add(file), readFile.call(host, file));
  host.getSourceFile = (file, ...rest) => (filesRead.add(file), getSourceFile.call(host, file, ...rest));
  const fallbacks = ownFallbacks(ts, root, options, host);
  const cache = ts.createModuleResolutionCache(root, (name) => host.getCanonicalFileName(name), options);
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, compilerOptions, containingSourceFile) =>
    literals.map((literal) => {
      const mode = ts.getModeForUsageLocation(containingSourceFile, literal, compilerOptions);
      const resolved = ts.resolveModuleName(
        literal.text,
        containingFile,
        compilerOptions,
        host,
        cache,
        redirected,
        mode,
      );
      if (!resolved.resolvedModule && literal.text === "cogts" && fallbacks.sdk) {
        return {
          resolvedModule: {
            resolvedFileName: fallbacks.sdk,
            extension: extensionOf(ts, fallbacks.sdk),
            isExternalLibraryImport: true,
          },
        };
      }
      return resolved;
    });
  const typeCache = ts.createTypeReferenceDirectiveResolutionCache(
    root,
    (name) => host.getCanonicalFileName(name),
    options,
    cache.getPackageJsonInfoCache(),
  );
  host.resolveTypeReferenceDirectiveReferences = (
    references,
    containingFile,
    redirected,
    compilerOptions,
    containingSourceFile,
  ) =>
    references.map((reference) => {
      const name = typeof reference === "string" ? reference : reference.fileName.toLowerCase();
      const mode =
        containingSourceFile && typeof reference !== "string"
          ? ts.getModeForFileReference(reference, containingSourceFile.impliedNodeFormat)
          : undefined;
      const resolved = ts.resolveTypeReferenceDirective(
        name,
        containingFile,
        compilerOptions,
        host,
        redirected,
        typeCache,
        mode,
      );
      if (!resolved.resolvedTypeReferenceDirective && name === "node" && fallbacks.nodeTypes) {
        return {
          resolvedTypeReferenceDirective: {
            primary: true,
            resolvedFileName: fallbacks.nodeTypes,
            isExternalLibraryImport: true,
          },
        };
      }
      return resolved;
    });
  if (fallbacks.nodeTypes && options.types === undefined) {
    // Without `types`, tsc includes every @types package it finds; Node's come from here when the project has none.
    options.types = [...ts.getAutomaticTypeDirectiveNames(options, host), "node"];
  }

  const program = ts.createProgram({ rootNames: roots, options, host });
  const own = (file: TS.SourceFile) => isOwnFile(root, file.fileName) && !file.isDeclarationFile;
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program
      .getSourceFiles()
      .filter(own)
      .flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
  ];
  for (const diagnostic of diagnostics) {
    if (diagnostic.category !== ts.DiagnosticCategory.Error) continue;
    if (diagnostic.file && !own(diagnostic.file)) continue;
    const missing = uninstalledDependency(diagnostic, declared);
    if (missing) {
      notes.add(
        `${missing} is in package.json but not installed here: code using it was not type-checked (run npm install to check it).`,
      );
      continue;
    }
    problems.push(locate(ts, root, diagnostic, tsconfig ?? "compiler options"));
  }
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return {
    problems: problems.map((problem) => problem.text),
    notes: [...notes],
    files: program.getSourceFiles().filter(own).length,
    tsconfig,
  };
}

interface Located {
  file: string;
  line: number;
  column: number;
  text: string;
}

function locate(ts: typeof TS, root: string, diagnostic: TS.Diagnostic, fallbackFile: string): Located {
  const message = `${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n  ")} (TS${diagnostic.code})`;
  if (!diagnostic.file || diagnostic.start === undefined)
    return { file: fallbackFile, line: 0, column: 0, text: `${fallbackFile}: ${message}` };
  const file = displayPath(root, diagnostic.file.fileName);
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return { file, line: line + 1, column: character + 1, text: `${file}:${line + 1}:${character + 1}: ${message}` };
}

function formatDiagnostic(ts: typeof TS, root: string, diagnostic: TS.Diagnostic, fallbackFile: string): string {
  return locate(ts, root, diagnostic, fallbackFile).text;
}

function displayPath(root: string, file: string): string {
  const relative = path.relative(root, path.resolve(file));
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative.split(path.sep).join("/");
}

function isOwnFile(root: string, file: string): boolean {
  const relative = path.relative(root, path.resolve(file));
  return !relative.startsWith("..") && !path.isAbsolute(relative) && !relative.split(/[\\/]/).includes("node_modules");
}

function extensionOf(ts: typeof TS, file: string): TS.Extension {
  return file.endsWith(".d.ts") ? ts.Extension.Dts : ts.Extension.Ts;
}

/**
 * This package's SDK declarations and Node's types, for a project that has not installed them: the SDK is what
 * `cog run --no-docker` and the image load for `cogts` then, and Node is what runs the predictor.
 */
function ownFallbacks(
  ts: typeof TS,
  root: string,
  options: TS.CompilerOptions,
  host: TS.CompilerHost,
): { sdk?: string; nodeTypes?: string } {
  const built = path.join(PACKAGE_ROOT, "dist", "runtime", "sdk", "index.d.ts");
  // Run from a clone's sources (tests) before `npm run build`: the SDK's TypeScript itself.
  const source = path.join(PACKAGE_ROOT, "runtime", "sdk", "index.ts");
  const sdk = existsSync(built) ? built : existsSync(source) ? source : undefined;
  const projectHasNode = ts.resolveTypeReferenceDirective(
    "node",
    path.join(root, "__cogts__.ts"),
    options,
    host,
  ).resolvedTypeReferenceDirective;
  let nodeTypes: string | undefined;
  if (!projectHasNode) {
    try {
      nodeTypes = path.join(
        path.dirname(createRequire(path.join(PACKAGE_ROOT, "package.json")).resolve("@types/node/package.json")),
        "index.d.ts",
      );
    } catch {
      nodeTypes = undefined;
    }
  }
  return { sdk, nodeTypes };
}

/** Package names listed in the project's package.json, in any dependency field. */
function declaredDependencies(root: string): Set<string> {
  try {
    const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as Record<string, unknown>;
    const fields = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"];
    return new Set(
      fields.flatMap((field) => Object.keys((manifest[field] as Record<string, string> | undefined) ?? {})),
    );
  } catch {
    return new Set();
  }
}

/**
 * The package a "Cannot find module 'x'" (or tsconfig.json's "File 'x' not found" for `extends`) is about, when
 * package.json lists it and it is not installed (so npm install would bring it).
 */
function uninstalledDependency(diagnostic: TS.Diagnostic, declared: Set<string>): string | undefined {
  if (
    (diagnostic.code !== 2307 && diagnostic.code !== 6053) ||
    !diagnostic.file ||
    diagnostic.start === undefined ||
    diagnostic.length === undefined
  )
    return undefined;
  const specifier = diagnostic.file.text
    .slice(diagnostic.start, diagnostic.start + diagnostic.length)
    .replace(/^["'`]|["'`]$/g, "");
  if (specifier.startsWith(".") || specifier.startsWith("/")) return undefined;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
  return declared.has(name) && !installed(diagnostic.file.fileName, name) ? name : undefined;
}

/** Whether Node would find the package from this file: a node_modules/NAME in its folder or one above. */
function installed(fromFile: string, name: string): boolean {
  for (let dir = path.dirname(fromFile); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "node_modules", name))) return true;
    if (path.dirname(dir) === dir) return false;
  }
}
