/**
 * Reads a Python predictor statically, as Cog 0.22's tree-sitter generator does (docs/spec/cog-contract.md §5.5): the class
 * (or function) named by `FILE.py:Name`, its run()/predict() (or train()) method, found on the class or a class
 * it inherits from in the project, each parameter's annotation and its default or `Input(...)` options, and the
 * return annotation. Nothing is imported or run.
 */
import { resolve } from "node:path";
import { closestOption, pythonSchemaMessages as messages } from "../errors.js";
import type { InputField, JsonValue, PredictorInfo } from "../model.js";
import { checkInputField } from "../validate-input.js";
import type { PyModule, PyProject } from "./modules.js";
import type { Node } from "./parser.js";
import { readInput, readOutput, superclasses, TypeProblem } from "./types.js";
import { evaluate, NOT_STATIC } from "./values.js";

const METHOD_NAMES = { predict: ["run", "predict"], train: ["train"] } as const;

/** Input(...) keyword → the model's field. */
const OPTION_FIELDS: Record<string, keyof InputField> = {
  description: "description",
  ge: "ge",
  le: "le",
  min_length: "minLength",
  max_length: "maxLength",
  regex: "regex",
  choices: "choices",
  deprecated: "deprecated",
  accept: "accept",
};
/** Python spellings for "did you mean" (the shared helper knows the TypeScript option names). */
const PY_SPELLING: Record<string, string> = { minLength: "min_length", maxLength: "max_length" };

export function readPythonPredictor(
  project: PyProject,
  ref: string,
  mode: "predict" | "train",
  refSource: { file: string; line: number; column: number },
): PredictorInfo | undefined {
  const separator = ref.lastIndexOf(":");
  const fileName = separator > 0 ? ref.slice(0, separator) : "";
  const name = ref.slice(separator + 1);
  if (separator <= 0 || !/^[A-Za-z_]\w*$/.test(name)) {
    project.reportAt(refSource, "COGTS_SCHEMA_BAD_REF", messages.badRef(ref));
    return undefined;
  }
  const module = project.open(resolve(project.dir, fileName));
  if (!module) {
    project.reportAt(refSource, "COGTS_SCHEMA_FILE_NOT_FOUND", messages.fileNotFound(fileName));
    return undefined;
  }
  // A file that does not parse has no reliable classes to report on: its syntax error is the one problem.
  if (project.problems.some((p) => p.code === "COGTS_SCHEMA_SYNTAX_ERROR")) return undefined;
  const target = project.resolve(module, name);
  let method: { node: Node; module: PyModule; decorators: Node[] } | undefined;
  let isMethod = true;
  if (target?.kind === "class") {
    const names = METHOD_NAMES[mode];
    method = findMethod(project, target, names);
    if (!method) {
      project.report(
        target.module,
        target.node.childForFieldName("name") ?? target.node,
        "COGTS_SCHEMA_METHOD_NOT_FOUND",
        messages.methodNotFound(name, [...names]),
      );
      return undefined;
    }
  } else if (target?.kind === "function") {
    method = target;
    isMethod = false;
  } else {
    const found = [...module.classes.keys(), ...module.functions.keys()];
    const first = [...module.classes.values()][0]?.node;
    const message = messages.classNotFound(name, fileName, found);
    if (first) project.report(module, first, "COGTS_SCHEMA_CLASS_NOT_FOUND", message);
    else
      project.reportAt(
        { file: project.displayPath(module.file), line: 1, column: 1 },
        "COGTS_SCHEMA_CLASS_NOT_FOUND",
        message,
      );
    return undefined;
  }

  const ctx = { project, module: method.module };
  const inputs: InputField[] = [];
  const parameters = (method.node.childForFieldName("parameters")?.namedChildren ?? []).filter(
    (p): p is Node => Boolean(p) && p!.type !== "comment",
  );
  parameters.forEach((parameter, index) => {
    if (isMethod && index === 0) return; // self
    if (
      ["list_splat_pattern", "dictionary_splat_pattern", "keyword_separator", "positional_separator"].includes(
        parameter.type,
      )
    )
      return;
    if (
      parameter.type === "typed_parameter" &&
      parameter.namedChildren.some((c) => c?.type !== "identifier" && c?.type !== "type")
    )
      return;
    const field = readParameter(parameter, ctx);
    if (field) inputs.push(field);
  });

  const methodName = method.node.childForFieldName("name")?.text ?? "predict";
  const returnType = method.node.childForFieldName("return_type");
  if (!returnType) {
    project.report(
      method.module,
      method.node.childForFieldName("name") ?? method.node,
      "COGTS_SCHEMA_MISSING_RETURN_TYPE",
      messages.missingReturnType(methodName),
    );
    return undefined;
  }
  let output;
  try {
    output = readOutput(returnType, ctx);
  } catch (error) {
    if (!(error instanceof TypeProblem)) throw error;
    project.report(error.module, error.node, error.code, error.message);
    return undefined;
  }
  const streaming = method.decorators.some((d) => /^@\s*(cog\.)?streaming\b/.test(d.text));
  if (streaming && output.kind !== "iterator") {
    project.report(
      method.module,
      method.decorators.find((d) => d.text.includes("streaming"))!,
      "COGTS_SCHEMA_UNSUPPORTED_OUTPUT_TYPE",
      messages.streamingNotIterator(),
    );
  }
  return { mode, inputs, output, streaming };
}

type Found = { node: Node; module: PyModule; decorators: Node[] };

/** The first of `names` defined on the class or, in method resolution order (depth first), a class it inherits from. */
function findMethod(
  project: PyProject,
  cls: { module: PyModule; node: Node },
  names: readonly string[],
): Found | undefined {
  const chain: { module: PyModule; node: Node }[] = [];
  const visit = (current: { module: PyModule; node: Node }) => {
    if (chain.length >= 32 || chain.some((c) => c.node.equals(current.node))) return;
    chain.push(current);
    for (const base of superclasses(current.node)) {
      const resolved = project.resolve(current.module, base.text);
      if (resolved?.kind === "class") visit(resolved);
    }
  };
  visit(cls);
  for (const name of names) {
    for (const candidate of chain) {
      for (const statement of candidate.node.childForFieldName("body")?.namedChildren ?? []) {
        if (!statement) continue;
        let node = statement;
        const decorators: Node[] = [];
        if (node.type === "decorated_definition") {
          for (const child of node.namedChildren) if (child?.type === "decorator") decorators.push(child);
          node = node.childForFieldName("definition") ?? node;
        }
        if (node.type === "function_definition" && node.childForFieldName("name")?.text === name) {
          return { node, module: candidate.module, decorators };
        }
      }
    }
  }
  return undefined;
}

function readParameter(parameter: Node, ctx: { project: PyProject; module: PyModule }): InputField | undefined {
  const { project, module } = ctx;
  const nameNode =
    parameter.type === "identifier"
      ? parameter
      : parameter.type === "typed_parameter"
        ? parameter.namedChildren.find((c) => c?.type === "identifier")
        : parameter.childForFieldName("name");
  const name = nameNode?.text ?? parameter.text;
  const annotation = parameter.childForFieldName("type");
  if (!annotation) {
    project.report(module, nameNode ?? parameter, "COGTS_SCHEMA_MISSING_PARAM_TYPE", messages.missingParamType(name));
    return undefined;
  }
  let type;
  try {
    type = readInput(name, annotation, ctx);
  } catch (error) {
    if (!(error instanceof TypeProblem)) throw error;
    project.report(error.module, error.node, error.code, error.message);
    return undefined;
  }
  const field: InputField = { name, type: type.type, nullable: type.nullable };
  if (type.nullable && (type.type.kind === "union" || type.type.kind === "array")) field.requiredWithoutDefault = true;
  const value = parameter.childForFieldName("value");
  let ok = true;
  if (value && isInputCall(value)) ok = readOptions(value, field, ctx);
  else if (value) ok = setDefault(field, value, ctx);
  if (!ok) return undefined;
  const before = project.problems.length;
  checkInputField(
    field,
    annotation.text,
    (code, message, where) =>
      project.report(module, where === "type" ? annotation : (value ?? annotation), code, message),
    messages,
  );
  return project.problems.length === before ? field : undefined;
}

function isInputCall(node: Node): boolean {
  if (node.type !== "call") return false;
  const fn = node.childForFieldName("function")?.text ?? "";
  return fn === "Input" || fn.endsWith(".Input");
}

function setDefault(field: InputField, node: Node, ctx: { project: PyProject; module: PyModule }): boolean {
  const value = evaluate(node, ctx.module, ctx.project);
  if (value === NOT_STATIC) {
    ctx.project.report(
      ctx.module,
      node,
      "COGTS_SCHEMA_NON_LITERAL_VALUE",
      messages.nonLiteral(`the default of "${field.name}"`, node.text),
    );
    return false;
  }
  field.default = { value };
  return true;
}

function readOptions(call: Node, field: InputField, ctx: { project: PyProject; module: PyModule }): boolean {
  const { project, module } = ctx;
  let ok = true;
  for (const argument of call.childForFieldName("arguments")?.namedChildren ?? []) {
    if (!argument || argument.type === "comment") continue;
    if (argument.type !== "keyword_argument") {
      project.report(module, argument, "COGTS_SCHEMA_INPUT_OPTIONS_NOT_OBJECT", messages.optionsNotObject(call.text));
      ok = false;
      continue;
    }
    const option = argument.childForFieldName("name")!.text;
    const valueNode = argument.childForFieldName("value")!;
    if (option === "default_factory") {
      project.report(module, argument, "COGTS_SCHEMA_DEFAULT_FACTORY", messages.defaultFactory());
      ok = false;
      continue;
    }
    if (option === "default") {
      ok = setDefault(field, valueNode, ctx) && ok;
      continue;
    }
    const key = OPTION_FIELDS[option];
    if (!key) {
      const suggestion = closestOption(option);
      project.report(
        module,
        argument.childForFieldName("name")!,
        "COGTS_SCHEMA_UNKNOWN_INPUT_OPTION",
        messages.unknownOption(option, suggestion && (PY_SPELLING[suggestion] ?? suggestion)),
      );
      ok = false;
      continue;
    }
    const value = evaluate(valueNode, module, project);
    if (value === NOT_STATIC) {
      project.report(
        module,
        valueNode,
        "COGTS_SCHEMA_NON_LITERAL_VALUE",
        messages.nonLiteral(`Input option ${option}=`, valueNode.text),
      );
      ok = false;
      continue;
    }
    const problem = optionProblem(option, value);
    if (problem) {
      project.report(module, valueNode, "COGTS_SCHEMA_BAD_OPTION_VALUE", messages.badOptionValue(option, problem));
      ok = false;
      continue;
    }
    (field as unknown as Record<string, JsonValue>)[key] = value;
  }
  return ok;
}

function optionProblem(option: string, value: JsonValue): string | undefined {
  switch (option) {
    case "description":
    case "regex":
    case "accept":
      return typeof value === "string" ? undefined : "a string";
    case "ge":
    case "le":
      return typeof value === "number" ? undefined : "a number";
    case "min_length":
    case "max_length":
      return typeof value === "number" && Number.isInteger(value) && value >= 0 ? undefined : "a non-negative int";
    case "deprecated":
      return typeof value === "boolean" ? undefined : "True or False";
    case "choices":
      return Array.isArray(value) &&
        value.length > 0 &&
        value.every((v) => typeof v === "string" || typeof v === "number")
        ? undefined
        : "a non-empty list of str or int values";
  }
  return undefined;
}
