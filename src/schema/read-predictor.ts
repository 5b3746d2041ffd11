/**
 * Reads a predictor statically: finds the class named by a `FILE:Class` ref and its run/predict (or train) method,
 * or the function named by `FILE:function`, its parameters with their `Input({...})` options, and its return type, into the schema model.
 */
import { resolve } from "node:path";
import type {
  ArrowFunction,
  ClassDeclaration,
  FunctionDeclaration,
  FunctionExpression,
  MethodDeclaration,
  ParameterDeclaration,
  SourceFile,
} from "ts-morph";
import { Node, SyntaxKind } from "./ts-morph.js";
import { closestOption, INPUT_OPTIONS, schemaMessages } from "./errors.js";
import { readInputType } from "./input-types.js";
import type { InputField, JsonValue, PredictorInfo } from "./model.js";
import { readOutputType } from "./output-types.js";
import { unwrapExpression, type SourceSet } from "./source-files.js";
import { evaluateStatic, UNDEFINED } from "./static-value.js";
import { validateInputField } from "./validate-input.js";

/** Cog 0.22 prefers run() and falls back to predict(); training uses train(). */
const METHOD_NAMES = { predict: ["run", "predict"], train: ["train"] } as const;

export function readPredictor(
  sources: SourceSet,
  ref: string,
  mode: "predict" | "train",
  refSource: { file: string; line: number; column: number },
): PredictorInfo | undefined {
  const separator = ref.lastIndexOf(":");
  const fileName = separator > 0 ? ref.slice(0, separator) : "";
  const className = ref.slice(separator + 1);
  if (separator <= 0 || !/^[A-Za-z_$][\w$]*$/.test(className)) {
    sources.reportAt(refSource, "COGTS_SCHEMA_BAD_REF", schemaMessages.badRef(ref));
    return undefined;
  }
  const file = sources.open(resolve(sources.dir, fileName));
  if (!file) {
    sources.reportAt(refSource, "COGTS_SCHEMA_FILE_NOT_FOUND", schemaMessages.fileNotFound(fileName));
    return undefined;
  }
  // Cog allows a bare function as the predictor (`run: "predict.py:predict"`): a class is looked for first, then a
  // function of that name.
  const cls = findClass(file, className, sources);
  const fn = cls ? undefined : findFunction(file, className, sources);
  if (!cls && !fn) {
    const found = file
      .getClasses()
      .map((c) => c.getName())
      .filter((n): n is string => Boolean(n));
    const message = schemaMessages.classNotFound(className, fileName, found);
    const first = file.getClasses()[0];
    if (first) sources.report(first, "COGTS_SCHEMA_CLASS_NOT_FOUND", message);
    else
      sources.reportAt(
        { file: sources.displayPath(file.getFilePath()), line: 1, column: 1 },
        "COGTS_SCHEMA_CLASS_NOT_FOUND",
        message,
      );
    return undefined;
  }
  const names = METHOD_NAMES[mode];
  const method = cls ? findMethod(cls, names, sources) : fn;
  if (!method) {
    sources.report(
      cls!.getNameNode() ?? cls!,
      "COGTS_SCHEMA_METHOD_NOT_FOUND",
      schemaMessages.methodNotFound(className, [...names]),
    );
    return undefined;
  }

  const docs = paramDocs(method);
  const inputs: InputField[] = [];
  for (const parameter of method.getParameters()) {
    const field = readParameter(parameter, docs, sources);
    if (field) inputs.push(field);
  }
  const returnType = method.getReturnTypeNode();
  if (!returnType) {
    const nameNode =
      Node.isArrowFunction(method) || Node.isFunctionExpression(method) ? method : (method.getNameNode() ?? method);
    sources.report(
      nameNode,
      "COGTS_SCHEMA_MISSING_RETURN_TYPE",
      schemaMessages.missingReturnType(cls ? (method as MethodDeclaration).getName() : className),
    );
    return undefined;
  }
  const output = readOutputType(returnType, sources);
  if (!output) return undefined;
  return { mode, inputs, output };
}

function findClass(file: SourceFile, name: string, sources: SourceSet): ClassDeclaration | undefined {
  const local = file.getClass(name);
  if (local) return local;
  // `export { Predictor } from "./model.js"` also names a class of this file.
  const exported = sources.resolveExport(file, name, 0);
  return exported?.kind === "declaration" && Node.isClassDeclaration(exported.node) ? exported.node : undefined;
}

/** A function predictor: `export function predict(…)`, or `export const predict = async (…) => …`. */
type PredictFunction = FunctionDeclaration | ArrowFunction | FunctionExpression;
type Signature = MethodDeclaration | PredictFunction;

function findFunction(file: SourceFile, name: string, sources: SourceSet): PredictFunction | undefined {
  const declared = file.getFunction(name) ?? file.getVariableDeclaration(name);
  const resolved =
    declared ??
    (() => {
      const exported = sources.resolveExport(file, name, 0);
      return exported?.kind === "declaration" ? exported.node : undefined;
    })();
  if (!resolved) return undefined;
  if (Node.isFunctionDeclaration(resolved)) return resolved.hasBody() ? resolved : resolved.getImplementation();
  if (Node.isVariableDeclaration(resolved)) {
    const initializer = resolved.getInitializer();
    const value = initializer && unwrapExpression(initializer);
    if (value && (Node.isArrowFunction(value) || Node.isFunctionExpression(value))) return value;
  }
  return undefined;
}

/** The first of `names` on the class or, as Python's method lookup does, on a class it extends. */
function findMethod(
  cls: ClassDeclaration,
  names: readonly string[],
  sources: SourceSet,
): MethodDeclaration | undefined {
  const chain: ClassDeclaration[] = [];
  let current: ClassDeclaration | undefined = cls;
  while (current && chain.length < 32 && !chain.includes(current)) {
    chain.push(current);
    current = baseClass(current, sources);
  }
  for (const name of names) {
    for (const candidate of chain) {
      const method = candidate.getInstanceMethod(name);
      if (method) return method;
    }
  }
  return undefined;
}

function baseClass(cls: ClassDeclaration, sources: SourceSet): ClassDeclaration | undefined {
  const heritage = cls.getExtends();
  if (!heritage) return undefined;
  const resolved = sources.resolveName(cls.getSourceFile(), heritage.getExpression().getText());
  return resolved?.kind === "declaration" && Node.isClassDeclaration(resolved.node) ? resolved.node : undefined;
}

/** `@param name text` tags of the method's JSDoc (for `const f = (…) => …`, the JSDoc of its statement). */
function paramDocs(method: Signature): Map<string, string> {
  const docs = new Map<string, string>();
  const statement =
    Node.isArrowFunction(method) || Node.isFunctionExpression(method)
      ? method.getFirstAncestorByKind(SyntaxKind.VariableStatement)
      : method;
  for (const doc of statement?.getJsDocs() ?? []) {
    for (const tag of doc.getTags()) {
      if (!Node.isJSDocParameterTag(tag)) continue;
      const text = (tag.getCommentText() ?? "").replace(/^\s*-\s*/, "").trim();
      if (text) docs.set(tag.getName(), text);
    }
  }
  return docs;
}

/** A comment written just before the parameter: `/** text *\/ name: T` or `// text`. */
function leadingComment(parameter: ParameterDeclaration): string | undefined {
  const ranges = parameter.getLeadingCommentRanges();
  if (ranges.length === 0) return undefined;
  const text = ranges[ranges.length - 1]!.getText();
  const body = text.startsWith("//")
    ? text.replace(/^\/\/\s?/, "")
    : text
        .replace(/^\/\*\*?/, "")
        .replace(/\*\/$/, "")
        .split("\n")
        .map((line) => line.replace(/^\s*\*\s?/, ""))
        .join("\n");
  const trimmed = body.trim();
  return trimmed || undefined;
}

function readParameter(
  parameter: ParameterDeclaration,
  docs: Map<string, string>,
  sources: SourceSet,
): InputField | undefined {
  const nameNode = parameter.getNameNode();
  if (!Node.isIdentifier(nameNode)) {
    sources.report(
      nameNode,
      "COGTS_SCHEMA_UNSUPPORTED_INPUT_TYPE",
      schemaMessages.unsupportedInputType(
        nameNode.getText(),
        nameNode.getText(),
        "a destructured parameter has no name; give it one",
      ),
    );
    return undefined;
  }
  const name = nameNode.getText();
  const typeNode = parameter.getTypeNode();
  if (!typeNode) {
    sources.report(nameNode, "COGTS_SCHEMA_MISSING_PARAM_TYPE", schemaMessages.missingParamType(name));
    return undefined;
  }
  const read = readInputType(typeNode, name, sources);
  const field: InputField = {
    name,
    type: read?.type ?? { kind: "primitive", primitive: "string" },
    nullable: Boolean(read?.nullable) || parameter.hasQuestionToken(),
  };
  const before = sources.problems.length;

  const initializer = parameter.getInitializer();
  if (initializer && isInputCall(initializer)) {
    readInputOptions(initializer, field, sources);
  } else if (initializer) {
    const value = evaluateStatic(initializer, sources);
    if (!value.ok) {
      sources.report(
        value.node,
        "COGTS_SCHEMA_NON_LITERAL_VALUE",
        schemaMessages.nonLiteral(`the default of "${name}"`, value.node.getText()),
      );
    } else if (value.value !== UNDEFINED) {
      field.default = { value: value.value };
    }
  }
  field.description ??= docs.get(name) ?? leadingComment(parameter);
  if (!read || sources.problems.length > before) return undefined;
  validateInputField(field, parameter, typeNode, sources);
  return field;
}

function isInputCall(node: Node): node is import("ts-morph").CallExpression {
  if (!Node.isCallExpression(node)) return false;
  const callee = node.getExpression();
  if (Node.isIdentifier(callee)) return callee.getText() === "Input";
  return Node.isPropertyAccessExpression(callee) && callee.getName() === "Input";
}

const OPTION_KINDS: Record<(typeof INPUT_OPTIONS)[number], string> = {
  description: "string",
  default: "any",
  ge: "number",
  le: "number",
  minLength: "count",
  maxLength: "count",
  regex: "string",
  choices: "choices",
  deprecated: "boolean",
  accept: "string",
};
const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  count: "a non-negative integer",
  boolean: "true or false",
  choices: "a non-empty array of strings or of numbers",
};

function readInputOptions(call: import("ts-morph").CallExpression, field: InputField, sources: SourceSet): void {
  const args = call.getArguments();
  if (args.length === 0) return;
  const options = unwrapExpression(args[0]!);
  if (!Node.isObjectLiteralExpression(options) || args.length > 1) {
    sources.report(
      options,
      "COGTS_SCHEMA_INPUT_OPTIONS_NOT_OBJECT",
      schemaMessages.optionsNotObject(args.map((a) => a.getText()).join(", ")),
    );
    return;
  }
  for (const property of options.getProperties()) {
    let key: string;
    let valueNode: Node;
    if (Node.isPropertyAssignment(property)) {
      key = property.getName().replace(/^["']|["']$/g, "");
      valueNode = property.getInitializerOrThrow();
    } else if (Node.isShorthandPropertyAssignment(property)) {
      key = property.getName();
      valueNode = property.getNameNode();
    } else {
      sources.report(
        property,
        "COGTS_SCHEMA_NON_LITERAL_VALUE",
        schemaMessages.nonLiteral(`an Input option of "${field.name}"`, property.getText()),
      );
      continue;
    }
    if (!(key in OPTION_KINDS)) {
      const nameNode =
        Node.isPropertyAssignment(property) || Node.isShorthandPropertyAssignment(property)
          ? property.getNameNode()
          : property;
      sources.report(
        nameNode,
        "COGTS_SCHEMA_UNKNOWN_INPUT_OPTION",
        schemaMessages.unknownOption(key, closestOption(key)),
      );
      continue;
    }
    const option = key as (typeof INPUT_OPTIONS)[number];
    const value = evaluateStatic(valueNode, sources);
    if (!value.ok) {
      sources.report(
        value.node,
        "COGTS_SCHEMA_NON_LITERAL_VALUE",
        schemaMessages.nonLiteral(`the ${option} of "${field.name}"`, value.node.getText()),
      );
      continue;
    }
    if (value.value === UNDEFINED) continue;
    if (!setOption(field, option, value.value)) {
      sources.report(
        valueNode,
        "COGTS_SCHEMA_BAD_OPTION_VALUE",
        schemaMessages.badOptionValue(option, EXPECTED[OPTION_KINDS[option]]!),
      );
    }
  }
}

/** Stores one option on the field; false when the value has the wrong shape. */
function setOption(field: InputField, option: (typeof INPUT_OPTIONS)[number], value: JsonValue): boolean {
  const kind = OPTION_KINDS[option];
  switch (kind) {
    case "any":
      field.default = { value };
      return true;
    case "string":
      if (typeof value !== "string") return false;
      if (option === "description") field.description = value;
      else if (option === "regex") field.regex = value;
      else field.accept = value;
      return true;
    case "number":
      if (typeof value !== "number") return false;
      if (option === "ge") field.ge = value;
      else field.le = value;
      return true;
    case "count":
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0) return false;
      if (option === "minLength") field.minLength = value;
      else field.maxLength = value;
      return true;
    case "boolean":
      if (typeof value !== "boolean") return false;
      field.deprecated = value;
      return true;
    case "choices": {
      if (!Array.isArray(value) || value.length === 0) return false;
      const allStrings = value.every((v) => typeof v === "string");
      const allNumbers = value.every((v) => typeof v === "number");
      if (!allStrings && !allNumbers) return false;
      field.choices = value as (string | number)[];
      return true;
    }
  }
  return false;
}
