/**
 * The project's Python modules as the schema reader sees them: each file parsed once, its top-level classes,
 * functions, constants and imports indexed, and names resolved across the project's own files (relative and
 * absolute imports, aliases, `import pkg.mod as m`). Nothing outside the project directory is read: a name imported
 * from elsewhere resolves to `external` with where it came from.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Parser } from "web-tree-sitter";
import { formatProblem, pythonSchemaMessages, type SchemaErrorCode, type SchemaProblem } from "../errors.js";
import { firstSyntaxError, type Node } from "./parser.js";

export interface PyModule {
  /** Absolute path. */
  file: string;
  root: Node;
  classes: Map<string, { node: Node; decorators: Node[] }>;
  functions: Map<string, { node: Node; decorators: Node[] }>;
  constants: Map<string, Node>;
  /** Local name → where it is imported from: `module` as written (leading dots for relative), `name` unless `import m`. */
  imports: Map<string, { module: string; name?: string }>;
}

type Resolved =
  | { kind: "class"; module: PyModule; node: Node; decorators: Node[] }
  | { kind: "function"; module: PyModule; node: Node; decorators: Node[] }
  | { kind: "constant"; module: PyModule; node: Node }
  | { kind: "module"; module: PyModule }
  | { kind: "external"; from: string; name: string };

export class PyProject {
  readonly problems: SchemaProblem[] = [];
  readonly filesRead: string[] = [];
  private readonly modules = new Map<string, PyModule | undefined>();

  constructor(
    readonly dir: string,
    private readonly parser: Parser,
  ) {}

  displayPath(file: string): string {
    return relative(this.dir, file).split(sep).join("/");
  }

  report(module: PyModule, node: Node, code: SchemaErrorCode, message: string): void {
    this.reportAt(
      { file: this.displayPath(module.file), line: node.startPosition.row + 1, column: node.startPosition.column + 1 },
      code,
      message,
    );
  }

  reportAt(at: { file: string; line: number; column: number }, code: SchemaErrorCode, message: string): void {
    if (
      this.problems.some((p) => p.file === at.file && p.line === at.line && p.column === at.column && p.code === code)
    )
      return;
    this.problems.push({ code, ...at, message });
  }

  formattedProblems(): string[] {
    return [...this.problems]
      .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column)
      .map(formatProblem);
  }

  /** Parses a file of the project (once); undefined if it does not exist or is not inside the project. */
  open(file: string): PyModule | undefined {
    const absolute = resolve(file);
    if (this.modules.has(absolute)) return this.modules.get(absolute);
    let module: PyModule | undefined;
    const inside = !relative(this.dir, absolute).startsWith("..");
    if (inside && existsSync(absolute) && statSync(absolute).isFile()) {
      const text = readFileSync(absolute, "utf8");
      this.filesRead.push(absolute);
      const tree = this.parser.parse(text);
      if (!tree) throw new Error(`tree-sitter returned no tree for ${absolute}`);
      module = indexModule(absolute, tree.rootNode);
      const error = firstSyntaxError(tree.rootNode);
      if (error) this.report(module, error, "COGTS_SCHEMA_SYNTAX_ERROR", pythonSchemaMessages.syntaxError());
    }
    this.modules.set(absolute, module);
    return module;
  }

  /** The file of a module name as imported from `from`: `.x`, `..pkg.x`, or `pkg.x` from the project root. */
  moduleFile(from: PyModule, name: string): string | undefined {
    const dots = /^\.*/.exec(name)![0].length;
    let base = this.dir;
    if (dots > 0) {
      base = dirname(from.file);
      for (let i = 1; i < dots; i++) base = dirname(base);
    }
    const parts = name.slice(dots).split(".").filter(Boolean);
    const stem = join(base, ...parts);
    for (const candidate of [`${stem}.py`, join(stem, "__init__.py")]) {
      if (!relative(this.dir, candidate).startsWith("..") && existsSync(candidate)) return candidate;
    }
    return undefined;
  }

  /** What a (possibly dotted) name written in `module` refers to. */
  resolve(module: PyModule, dotted: string, depth = 0): Resolved | undefined {
    if (depth > 16) return undefined;
    const [head, ...rest] = dotted.split(".");
    let current = this.resolveSimple(module, head!, depth);
    for (const part of rest) {
      if (!current) return undefined;
      if (current.kind === "external") return { kind: "external", from: current.from, name: `${current.name}.${part}` };
      if (current.kind !== "module") return undefined;
      current = this.resolveSimple(current.module, part, depth + 1) ?? this.submodule(current.module, part);
    }
    return current;
  }

  private submodule(pkg: PyModule, part: string): Resolved | undefined {
    const file = this.moduleFile(pkg, `.${part}`);
    const module = file && pkg.file.endsWith("__init__.py") ? this.open(file) : undefined;
    return module ? { kind: "module", module } : undefined;
  }

  private resolveSimple(module: PyModule, name: string, depth: number): Resolved | undefined {
    const cls = module.classes.get(name);
    if (cls) return { kind: "class", module, ...cls };
    const fn = module.functions.get(name);
    if (fn) return { kind: "function", module, ...fn };
    const constant = module.constants.get(name);
    if (constant) return { kind: "constant", module, node: constant };
    const imported = module.imports.get(name);
    if (!imported) return undefined;
    const file = this.moduleFile(module, imported.module);
    const target = file ? this.open(file) : undefined;
    if (!target) {
      if (imported.name === undefined) {
        // `import a.b as m` of a package inside the project, or an external module.
        return { kind: "external", from: imported.module, name: imported.module };
      }
      const sub = this.moduleFile(
        module,
        `${imported.module}${imported.module.endsWith(".") ? "" : "."}${imported.name}`,
      );
      const subModule = sub ? this.open(sub) : undefined;
      return subModule
        ? { kind: "module", module: subModule }
        : { kind: "external", from: imported.module, name: imported.name };
    }
    if (imported.name === undefined) return { kind: "module", module: target };
    return this.resolveSimple(target, imported.name, depth + 1) ?? this.submodule(target, imported.name);
  }
}

function indexModule(file: string, root: Node): PyModule {
  const module: PyModule = {
    file,
    root,
    classes: new Map(),
    functions: new Map(),
    constants: new Map(),
    imports: new Map(),
  };
  for (const statement of root.namedChildren) {
    if (!statement) continue;
    let node = statement;
    const decorators: Node[] = [];
    if (node.type === "decorated_definition") {
      for (const child of node.namedChildren) if (child?.type === "decorator") decorators.push(child);
      node = node.childForFieldName("definition") ?? node;
    }
    const name = node.childForFieldName("name")?.text;
    if (node.type === "class_definition" && name) module.classes.set(name, { node, decorators });
    else if (node.type === "function_definition" && name) module.functions.set(name, { node, decorators });
    else if (node.type === "expression_statement") {
      const assignment = node.namedChild(0);
      const left = assignment?.childForFieldName("left");
      const right = assignment?.childForFieldName("right");
      if (assignment?.type === "assignment" && left?.type === "identifier" && right)
        module.constants.set(left.text, right);
    } else if (node.type === "import_from_statement") {
      const from = node.childForFieldName("module_name")?.text ?? "";
      for (const child of node.childrenForFieldName("name")) {
        if (!child) continue;
        if (child.type === "aliased_import") {
          const original = child.childForFieldName("name")?.text ?? "";
          module.imports.set(child.childForFieldName("alias")?.text ?? original, { module: from, name: original });
        } else {
          module.imports.set(child.text, { module: from, name: child.text });
        }
      }
    } else if (node.type === "import_statement") {
      for (const child of node.childrenForFieldName("name")) {
        if (!child) continue;
        if (child.type === "aliased_import") {
          module.imports.set(child.childForFieldName("alias")?.text ?? "", {
            module: child.childForFieldName("name")?.text ?? "",
          });
        } else {
          // `import a.b` binds `a`; resolving `a.b.X` walks from the package.
          const top = child.text.split(".")[0]!;
          module.imports.set(top, { module: top });
        }
      }
    }
  }
  return module;
}
