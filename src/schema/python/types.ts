/**
 * Python type annotations → the schema model, with Cog 0.22's rules (docs/spec/cog-contract.md §5.2, §5.3): typing and
 * builtin spellings (`List[str]`, `list[str]`, `Optional[T]`, `T | None`, `Union[...]`), cog's Path/File/Secret,
 * `Literal[...]`, and output classes (cog.BaseModel, pydantic.BaseModel, dataclasses, TypedDict) from the
 * project's own modules, inlined.
 */
import { pythonSchemaMessages as messages } from "../errors.js";
import type { InputType, OutputField, OutputType } from "../model.js";
import type { PyModule, PyProject } from "./modules.js";
import type { Node } from "./parser.js";
import { evaluate, NOT_STATIC } from "./values.js";

/** A problem found while reading a type: reported by the caller at `node`. */
export class TypeProblem extends Error {
  constructor(
    readonly code:
      | "COGTS_SCHEMA_UNSUPPORTED_INPUT_TYPE"
      | "COGTS_SCHEMA_UNSUPPORTED_OUTPUT_TYPE"
      | "COGTS_SCHEMA_OPTIONAL_OUTPUT"
      | "COGTS_SCHEMA_CONCATENATE_NOT_STRING"
      | "COGTS_SCHEMA_UNRESOLVED_TYPE",
    message: string,
    readonly node: Node,
    readonly module: PyModule,
  ) {
    super(message);
  }
}

interface Ctx {
  project: PyProject;
  module: PyModule;
}

/** The annotation's expression, unwrapped from `type` nodes and parentheses. */
function unwrap(node: Node): Node {
  let current = node;
  while ((current.type === "type" || current.type === "parenthesized_expression") && current.namedChild(0))
    current = current.namedChild(0)!;
  return current;
}

/** `Name[args]` split into the name as written and its argument nodes. */
function generic(node: Node): { name: string; args: Node[] } | undefined {
  const n = unwrap(node);
  if (n.type === "identifier" || n.type === "attribute") return { name: n.text, args: [] };
  if (n.type === "generic_type") {
    const head = n.namedChildren.find((c) => c && c.type !== "type_parameter");
    const params = n.namedChildren.find((c) => c?.type === "type_parameter");
    return head
      ? { name: head.text, args: (params?.namedChildren ?? []).filter((c): c is Node => Boolean(c)) }
      : undefined;
  }
  if (n.type === "subscript") {
    const value = n.childForFieldName("value");
    const subs = n.childrenForFieldName("subscript").filter((c): c is Node => Boolean(c));
    const args =
      subs.length === 1 && subs[0]!.type === "tuple"
        ? subs[0]!.namedChildren.filter((c): c is Node => Boolean(c))
        : subs;
    return value ? { name: value.text, args } : undefined;
  }
  return undefined;
}

const last = (dotted: string) => dotted.slice(dotted.lastIndexOf(".") + 1);

/** The members of a union (`A | B`, `Union[A, B]`, `Optional[A]`), or undefined for a non-union. */
function unionMembers(node: Node): Node[] | undefined {
  const n = unwrap(node);
  if (n.type === "binary_operator" && n.childForFieldName("operator")?.text === "|") {
    return [n.childForFieldName("left")!, n.childForFieldName("right")!].flatMap(
      (side) => unionMembers(side) ?? [side],
    );
  }
  // tree-sitter-python parses `list[int] | list[float]` (a side that is a generic type) as a union_type node.
  if (n.type === "union_type") {
    return n.namedChildren.filter((c): c is Node => Boolean(c)).flatMap((side) => unionMembers(side) ?? [side]);
  }
  const g = generic(n);
  if (!g || g.args.length === 0) return undefined;
  if (last(g.name) === "Optional") return [...g.args, noneMarker];
  if (last(g.name) === "Union") return g.args.flatMap((arg) => unionMembers(arg) ?? [arg]);
  return undefined;
}
/** Stands for the implicit None of Optional[T]. */
const noneMarker = { type: "none", text: "None" } as unknown as Node;
const isNone = (node: Node) => node === noneMarker || unwrap(node).type === "none" || unwrap(node).text === "None";

/** A class of the project that the annotation names, if it does. */
function localClass(node: Node, ctx: Ctx): { module: PyModule; node: Node; decorators: Node[] } | undefined {
  const n = unwrap(node);
  const name = n.type === "string" ? n.text.replace(/^['"]+|['"]+$/g, "") : n.text;
  if (!/^[\w.]+$/.test(name)) return undefined;
  const resolved = ctx.project.resolve(ctx.module, name);
  return resolved?.kind === "class" ? resolved : undefined;
}

const INPUT_PRIMITIVES: Record<string, InputType> = {
  str: { kind: "primitive", primitive: "string" },
  int: { kind: "primitive", primitive: "integer" },
  float: { kind: "primitive", primitive: "number" },
  bool: { kind: "primitive", primitive: "boolean" },
  Path: { kind: "primitive", primitive: "path" },
  File: { kind: "primitive", primitive: "path" },
  Secret: { kind: "primitive", primitive: "secret" },
  dict: { kind: "primitive", primitive: "object" },
  Dict: { kind: "primitive", primitive: "object" },
  Any: { kind: "primitive", primitive: "object" },
};

export function readInput(name: string, annotation: Node, ctx: Ctx): { type: InputType; nullable: boolean } {
  const fail = (why = ""): never => {
    throw new TypeProblem(
      "COGTS_SCHEMA_UNSUPPORTED_INPUT_TYPE",
      messages.unsupportedInputType(name, annotation.text, why),
      annotation,
      ctx.module,
    );
  };
  const members = unionMembers(annotation);
  if (members) {
    const rest = members.filter((m) => !isNone(m));
    const nullable = rest.length < members.length;
    if (rest.length === 0) fail();
    if (rest.length === 1) return { type: inputType(rest[0]!, fail), nullable };
    const variants = rest.map((m) => inputType(m, fail));
    for (const variant of variants) {
      if (!jsonNative(variant))
        fail(
          "a union may only hold str, int, float, bool, dict and list[T]: Path, File and Secret cannot be in a union",
        );
    }
    return { type: { kind: "union", variants }, nullable };
  }
  return { type: inputType(annotation, fail), nullable: false };

  function inputType(node: Node, failWith: (why?: string) => never): InputType {
    const g = generic(node);
    if (!g) return failWith();
    const base = last(g.name);
    if (base === "Literal") return literals(g.args, ctx, failWith);
    if (base === "Annotated" && g.args[0]) return inputType(g.args[0], failWith);
    if (base === "list" || base === "List") {
      if (g.args.length === 0) return { kind: "array", items: { kind: "primitive", primitive: "object" } };
      if (unionMembers(g.args[0]!)) failWith("a list's element cannot be a union or optional");
      return { kind: "array", items: inputType(g.args[0]!, failWith) };
    }
    if ((base === "dict" || base === "Dict") && g.args.length > 0) return { kind: "primitive", primitive: "object" };
    const cls = g.args.length === 0 ? localClass(node, ctx) : undefined;
    // A TypedDict input is a JSON object, described without its fields, as Cog 0.22 does.
    if (cls && isTypedDict(cls, ctx)) return { kind: "primitive", primitive: "object" };
    if (g.args.length === 0 && INPUT_PRIMITIVES[base] && !cls) return INPUT_PRIMITIVES[base]!;
    return failWith();
  }
}

function jsonNative(type: InputType): boolean {
  if (type.kind === "array") return jsonNative(type.items);
  return type.kind === "primitive" && !["path", "secret"].includes(type.primitive);
}

function literals(args: Node[], ctx: Ctx, fail: (why?: string) => never): InputType {
  const values: (string | number)[] = [];
  for (const arg of args) {
    const value = evaluate(unwrap(arg), ctx.module, ctx.project);
    if (typeof value === "string" || (typeof value === "number" && Number.isInteger(value))) values.push(value);
    else
      fail(
        value === NOT_STATIC
          ? "Literal values must be written as str or int literals"
          : "Literal values must be str or int",
      );
  }
  if (values.length === 0) fail("Literal needs at least one value");
  if (new Set(values.map((v) => typeof v)).size > 1) fail("Literal values must all be str or all int");
  return { kind: "literals", values };
}

const ITERATORS: Record<string, { concatenate: boolean }> = {
  Iterator: { concatenate: false },
  AsyncIterator: { concatenate: false },
  Iterable: { concatenate: false },
  AsyncIterable: { concatenate: false },
  Generator: { concatenate: false },
  AsyncGenerator: { concatenate: false },
  ConcatenateIterator: { concatenate: true },
  AsyncConcatenateIterator: { concatenate: true },
};

export function readOutput(annotation: Node, ctx: Ctx, depth = 0): OutputType {
  const fail = (why = ""): never => {
    throw new TypeProblem(
      "COGTS_SCHEMA_UNSUPPORTED_OUTPUT_TYPE",
      messages.unsupportedOutputType(annotation.text, why),
      annotation,
      ctx.module,
    );
  };
  if (depth > 16) fail("nested too deeply, or a model that contains itself");
  if (unionMembers(annotation)) {
    throw new TypeProblem(
      "COGTS_SCHEMA_OPTIONAL_OUTPUT",
      messages.optionalOutput(annotation.text),
      annotation,
      ctx.module,
    );
  }
  const cls = localClass(annotation, ctx);
  if (cls) return modelType(cls, ctx, depth, fail);
  const g = generic(annotation);
  if (!g) return fail();
  const base = last(g.name);
  const [first, second] = g.args;
  switch (base) {
    case "str":
      return { kind: "primitive", primitive: "string" };
    case "int":
      return { kind: "primitive", primitive: "integer" };
    case "float":
      return { kind: "primitive", primitive: "number" };
    case "bool":
      return { kind: "primitive", primitive: "boolean" };
    case "Path":
    case "File":
      return { kind: "primitive", primitive: "path" };
    case "Any":
      return { kind: "any" };
    case "dict":
    case "Dict": {
      if (!second || last(unwrap(second).text) === "Any") return { kind: "any" };
      return { kind: "dict", values: readOutput(second, ctx, depth + 1) };
    }
    case "list":
    case "List":
      return { kind: "array", items: first ? readOutput(first, ctx, depth + 1) : { kind: "any" } };
    case "Annotated": {
      if (g.args.slice(1).some((arg) => last(unwrap(arg).text) === "Opaque")) return { kind: "any" };
      return first ? readOutput(first, ctx, depth + 1) : fail();
    }
  }
  const iterator = ITERATORS[base];
  if (iterator && first) {
    const items = readOutput(first, ctx, depth + 1);
    if (iterator.concatenate && !(items.kind === "primitive" && items.primitive === "string")) {
      throw new TypeProblem(
        "COGTS_SCHEMA_CONCATENATE_NOT_STRING",
        messages.concatenateNotString(first.text),
        annotation,
        ctx.module,
      );
    }
    return { kind: "iterator", items, concatenate: iterator.concatenate };
  }
  const resolved = /^[\w.]+$/.test(g.name) ? ctx.project.resolve(ctx.module, g.name) : undefined;
  if (resolved?.kind === "external") {
    throw new TypeProblem(
      "COGTS_SCHEMA_UNRESOLVED_TYPE",
      messages.unresolvedType(g.name, resolved.from),
      annotation,
      ctx.module,
    );
  }
  return fail();
}

const MODEL_BASES = new Set(["BaseModel", "TypedDict"]);

/** Whether a class is an output model: a BaseModel/TypedDict subclass or a dataclass, also through local bases. */
function isModel(cls: { module: PyModule; node: Node; decorators: Node[] }, ctx: Ctx, depth = 0): boolean {
  if (depth > 16) return false;
  if (cls.decorators.some((d) => /(^|\.)dataclass\b/.test(d.text.replace(/^@/, "")))) return true;
  for (const base of superclasses(cls.node)) {
    if (MODEL_BASES.has(last(base.text))) return true;
    const resolved = ctx.project.resolve(cls.module, base.text);
    if (resolved?.kind === "class" && isModel(resolved, { project: ctx.project, module: resolved.module }, depth + 1))
      return true;
  }
  return false;
}

/** A TypedDict subclass, also through the project's own bases. */
function isTypedDict(cls: { module: PyModule; node: Node }, ctx: Ctx, depth = 0): boolean {
  if (depth > 16) return false;
  for (const base of superclasses(cls.node)) {
    if (last(base.text) === "TypedDict") return true;
    const resolved = ctx.project.resolve(cls.module, base.text);
    if (
      resolved?.kind === "class" &&
      isTypedDict(resolved, { project: ctx.project, module: resolved.module }, depth + 1)
    )
      return true;
  }
  return false;
}

export function superclasses(cls: Node): Node[] {
  const list = cls.childForFieldName("superclasses");
  return (list?.namedChildren ?? []).filter(
    (c): c is Node => Boolean(c) && (c!.type === "identifier" || c!.type === "attribute"),
  );
}

function modelType(
  cls: { module: PyModule; node: Node; decorators: Node[] },
  ctx: Ctx,
  depth: number,
  fail: (why?: string) => never,
): OutputType {
  if (!isModel(cls, ctx))
    fail(`class ${cls.node.childForFieldName("name")?.text ?? ""} is not a BaseModel, dataclass or TypedDict`);
  const fields = new Map<string, OutputField>();
  collectFields(cls, ctx, depth, fields, 0);
  return { kind: "object", fields: [...fields.values()] };
}

/** Annotated class attributes, base classes' first (a subclass redefining a field keeps its position). */
function collectFields(
  cls: { module: PyModule; node: Node },
  ctx: Ctx,
  depth: number,
  into: Map<string, OutputField>,
  level: number,
): void {
  if (level > 16) return;
  for (const base of superclasses(cls.node)) {
    const resolved = ctx.project.resolve(cls.module, base.text);
    if (resolved?.kind === "class")
      collectFields(resolved, { project: ctx.project, module: resolved.module }, depth, into, level + 1);
  }
  const local = { project: ctx.project, module: cls.module };
  for (const statement of cls.node.childForFieldName("body")?.namedChildren ?? []) {
    const assignment = statement?.type === "expression_statement" ? statement.namedChild(0) : undefined;
    const type = assignment?.type === "assignment" ? assignment.childForFieldName("type") : undefined;
    const left = assignment?.childForFieldName("left");
    if (!assignment || !type || left?.type !== "identifier" || last(unwrap(type).text).startsWith("ClassVar")) continue;
    const members = unionMembers(type);
    const nonNone = members?.filter((m) => !isNone(m));
    const nullable = Boolean(members && nonNone!.length === 1 && nonNone!.length < members.length);
    const fieldType = readOutput(nullable ? nonNone![0]! : type, local, depth + 1);
    const hasDefault = Boolean(assignment.childForFieldName("right"));
    into.set(left.text, { name: left.text, type: fieldType, optional: nullable || hasDefault, nullable });
  }
}
