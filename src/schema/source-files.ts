/**
 * The predictor's source files as ts-morph sees them, without a type checker: files are parsed on demand and
 * names are resolved syntactically (local declarations, imports from local files, the "cogts" SDK). This keeps
 * schema generation well below the cost of a full `tsc` run and records every file read, for the cache.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type {
  ClassDeclaration,
  EnumDeclaration,
  InterfaceDeclaration,
  Project as ProjectType,
  SourceFile,
  TypeAliasDeclaration,
  FunctionDeclaration,
  VariableDeclaration,
} from "ts-morph";
import { Node, Project } from "./ts-morph.js";
import { formatProblem, type SchemaErrorCode, type SchemaProblem } from "./errors.js";

export const SDK_MODULE = "cogts";

export type Declaration =
  | InterfaceDeclaration
  | TypeAliasDeclaration
  | ClassDeclaration
  | EnumDeclaration
  | VariableDeclaration
  | FunctionDeclaration;

/** What a name used in a predictor file stands for. */
export type ResolvedName =
  | { kind: "sdk"; name: string }
  | { kind: "declaration"; node: Declaration }
  | { kind: "external"; module: string }
  | { kind: "global"; name: string };

export class SourceSet {
  readonly dir: string;
  readonly problems: SchemaProblem[] = [];
  /** Absolute paths of every file read, in the order read. */
  readonly filesRead: string[] = [];
  readonly #project: ProjectType;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.#project = new Project({
      skipAddingFilesFromTsConfig: true,
      skipFileDependencyResolution: true,
      skipLoadingLibFiles: true,
      compilerOptions: { allowJs: true, noLib: true },
    });
  }

  open(absolutePath: string): SourceFile | undefined {
    const existing = this.#project.getSourceFile(absolutePath);
    if (existing) return existing;
    if (!isFile(absolutePath)) return undefined;
    this.filesRead.push(absolutePath);
    return this.#project.addSourceFileAtPath(absolutePath);
  }

  report(node: Node, code: SchemaErrorCode, message: string): void {
    const file = node.getSourceFile();
    const { line, column } = file.getLineAndColumnAtPos(node.getStart());
    this.problems.push({ code, file: this.displayPath(file.getFilePath()), line, column, message });
  }

  reportAt(at: { file: string; line: number; column: number }, code: SchemaErrorCode, message: string): void {
    this.problems.push({ code, ...at, message });
  }

  /** In reading order: by file as first read, then line and column. */
  formattedProblems(): string[] {
    const fileOrder = (file: string) => this.filesRead.findIndex((path) => this.displayPath(path) === file);
    return [...this.problems]
      .sort((a, b) => fileOrder(a.file) - fileOrder(b.file) || a.line - b.line || a.column - b.column)
      .map(formatProblem);
  }

  displayPath(absolutePath: string): string {
    const rel = relative(this.dir, absolutePath);
    return rel.startsWith("..") ? absolutePath : rel.split(sep).join("/");
  }

  /** A relative import specifier (`./types.js`) to the TypeScript file it means, as NodeNext resolution does. */
  resolveLocalModule(from: SourceFile, specifier: string): SourceFile | undefined {
    if (!specifier.startsWith(".")) return undefined;
    const base = resolve(dirname(from.getFilePath()), specifier);
    const stem = base.replace(/\.(m?js|cjs)$/, "");
    const candidates = [
      base.replace(/\.js$/, ".ts"),
      base.replace(/\.mjs$/, ".mts"),
      base.replace(/\.cjs$/, ".cts"),
      base,
      `${stem}.ts`,
      `${stem}.mts`,
      `${stem}.tsx`,
      `${stem}.js`,
      join(base, "index.ts"),
      join(base, "index.js"),
    ];
    for (const candidate of candidates) {
      const file = this.open(candidate);
      if (file) return file;
    }
    return undefined;
  }

  /** Resolves a name used in `file` (a type or a value) to where it is declared. */
  resolveName(file: SourceFile, name: string, depth = 0): ResolvedName | undefined {
    if (depth > 20) return undefined;
    const local = findDeclaration(file, name);
    if (local) return { kind: "declaration", node: local };
    for (const decl of file.getImportDeclarations()) {
      const module = decl.getModuleSpecifierValue();
      for (const named of decl.getNamedImports()) {
        const localName = named.getAliasNode()?.getText() ?? named.getName();
        if (localName !== name) continue;
        return this.#resolveImported(file, module, named.getName(), depth);
      }
      if (decl.getDefaultImport()?.getText() === name) return { kind: "external", module };
    }
    return { kind: "global", name };
  }

  /** A namespace import (`import * as cog from "cogts"`) named `name`, and its module. */
  namespaceModule(file: SourceFile, name: string): string | undefined {
    for (const decl of file.getImportDeclarations()) {
      if (decl.getNamespaceImport()?.getText() === name) return decl.getModuleSpecifierValue();
    }
    return undefined;
  }

  #resolveImported(file: SourceFile, module: string, exportedName: string, depth: number): ResolvedName {
    if (module === SDK_MODULE) return { kind: "sdk", name: exportedName };
    const target = this.resolveLocalModule(file, module);
    if (!target) return { kind: "external", module };
    const resolved = this.resolveExport(target, exportedName, depth + 1);
    return resolved ?? { kind: "external", module };
  }

  /** An exported name of a local module, following `export { X } from` and `export *` re-exports. */
  resolveExport(file: SourceFile, name: string, depth: number): ResolvedName | undefined {
    const local = findDeclaration(file, name);
    if (local) return { kind: "declaration", node: local };
    for (const decl of file.getExportDeclarations()) {
      const module = decl.getModuleSpecifierValue();
      const named = decl.getNamedExports();
      if (named.length === 0 && module) {
        if (module === SDK_MODULE) continue;
        const target = this.resolveLocalModule(file, module);
        const found = target && this.resolveExport(target, name, depth + 1);
        if (found) return found;
        continue;
      }
      for (const spec of named) {
        const exportedAs = spec.getAliasNode()?.getText() ?? spec.getName();
        if (exportedAs !== name) continue;
        if (!module) return this.resolveName(file, spec.getName(), depth + 1);
        return this.#resolveImported(file, module, spec.getName(), depth);
      }
    }
    // `import { X } from "./y.js"; export { X };` and plain imports used locally.
    const imported = this.resolveName(file, name, depth + 1);
    return imported?.kind === "global" ? undefined : imported;
  }
}

function findDeclaration(file: SourceFile, name: string): Declaration | undefined {
  return (
    file.getInterface(name) ??
    file.getTypeAlias(name) ??
    file.getClass(name) ??
    file.getEnum(name) ??
    file.getVariableDeclaration(name) ??
    // A function predictor (`run: "predict.ts:predict"`), also when another file re-exports it.
    file.getFunction(name)
  );
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

/** Strips wrappers that do not change a value or type: parentheses, `as const`, `satisfies`. */
export function unwrapExpression(node: Node): Node {
  let current = node;
  for (;;) {
    if (
      Node.isParenthesizedExpression(current) ||
      Node.isAsExpression(current) ||
      Node.isSatisfiesExpression(current) ||
      Node.isTypeAssertion(current) ||
      Node.isNonNullExpression(current)
    ) {
      current = current.getExpression();
    } else {
      return current;
    }
  }
}
