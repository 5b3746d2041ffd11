/**
 * Every problem `cog schema` can report, with a stable code and one place that words it.
 * Each message says what is wrong and, in parentheses, what to write instead.
 */
export type SchemaErrorCode =
  | "COGTS_SCHEMA_BAD_REF"
  | "COGTS_SCHEMA_FILE_NOT_FOUND"
  | "COGTS_SCHEMA_CLASS_NOT_FOUND"
  | "COGTS_SCHEMA_METHOD_NOT_FOUND"
  | "COGTS_SCHEMA_MISSING_PARAM_TYPE"
  | "COGTS_SCHEMA_MISSING_RETURN_TYPE"
  | "COGTS_SCHEMA_UNSUPPORTED_INPUT_TYPE"
  | "COGTS_SCHEMA_UNSUPPORTED_OUTPUT_TYPE"
  | "COGTS_SCHEMA_OPTIONAL_OUTPUT"
  | "COGTS_SCHEMA_CONCATENATE_NOT_STRING"
  | "COGTS_SCHEMA_NON_LITERAL_VALUE"
  | "COGTS_SCHEMA_INPUT_OPTIONS_NOT_OBJECT"
  | "COGTS_SCHEMA_UNKNOWN_INPUT_OPTION"
  | "COGTS_SCHEMA_BAD_OPTION_VALUE"
  | "COGTS_SCHEMA_DEFAULT_OUT_OF_RANGE"
  | "COGTS_SCHEMA_DEFAULT_NOT_IN_CHOICES"
  | "COGTS_SCHEMA_DEFAULT_WRONG_TYPE"
  | "COGTS_SCHEMA_CHOICES_WITH_LITERAL_UNION"
  | "COGTS_SCHEMA_ACCEPT_ON_NON_PATH"
  | "COGTS_SCHEMA_UNRESOLVED_TYPE"
  | "COGTS_SCHEMA_DEFAULT_FACTORY"
  | "COGTS_SCHEMA_SYNTAX_ERROR";

const SUPPORTED_INPUTS =
  "string, number, Int, boolean, Path, Secret, arrays of these (T[] or Array<T>), a union of string or number " +
  "literals, a union of JSON types (string | number | boolean | Record<string, unknown> | T[]), " +
  "Record<string, unknown> or an object type (an interface or `{ … }`), each optionally `| null`";
const SUPPORTED_OUTPUTS =
  "string, number, Int, boolean, Path, unknown, T[], Record<string, T>, an interface or type alias of these, " +
  "AsyncIterable<T>, AsyncGenerator<T>, Iterable<T>, Generator<T> or ConcatenateIterator<string>";

export const INPUT_OPTIONS = [
  "description",
  "default",
  "ge",
  "le",
  "minLength",
  "maxLength",
  "regex",
  "choices",
  "deprecated",
  "accept",
] as const;

/** The catalogue: one function per code, returning the message text. */
export const schemaMessages = {
  badRef: (ref: string) =>
    `"${ref}" is not a predictor reference (write FILE:Class, for example "predict.ts:Predictor")`,
  fileNotFound: (file: string) =>
    `cannot find predictor file ${file} (check the path in cog.yaml; it is relative to the directory of cog.yaml)`,
  classNotFound: (name: string, file: string, found: string[]) =>
    `no class or function ${name} in ${file} (` +
    (found.length ? `classes here: ${found.join(", ")}; ` : "") +
    `write \`export class ${name} extends BasePredictor { … }\` or \`export async function ${name}(…) { … }\`, or fix the name in cog.yaml)`,
  methodNotFound: (className: string, methods: string[]) =>
    `class ${className} has no ${methods.map((m) => `${m}()`).join(" or ")} method (add ` +
    `\`async ${methods[0]}(…): Promise<…> { … }\` to it or to a class it extends)`,
  missingParamType: (name: string) =>
    `parameter "${name}" has no type annotation (write \`${name}: string\`, \`${name}: number\`, \`${name}: Int\`, … ` +
    `so the schema knows its type)`,
  missingReturnType: (method: string) =>
    `${method}() has no return type annotation (write \`async ${method}(…): Promise<string>\` or the type it returns)`,
  unsupportedInputType: (name: string, typeText: string, why = "") =>
    `input "${name}" has unsupported type \`${typeText}\`${why ? ` (${why})` : ""} (supported: ${SUPPORTED_INPUTS})`,
  unsupportedOutputType: (typeText: string, why = "") =>
    `unsupported output type \`${typeText}\`${why ? ` (${why})` : ""} (supported: ${SUPPORTED_OUTPUTS})`,
  optionalOutput: (typeText: string) =>
    `output type \`${typeText}\` is optional or a union, which Cog rejects (return a single type; ` +
    `for "no value" use an object type with an optional property)`,
  concatenateNotString: (typeText: string) =>
    `ConcatenateIterator<${typeText}> is not supported (ConcatenateIterator streams text: write ` +
    `ConcatenateIterator<string>, or AsyncIterable<${typeText}> for other elements)`,
  nonLiteral: (what: string, exprText: string) =>
    `${what} \`${exprText}\` is not a literal (write a literal such as "text", 42, true, null, [1, 2] or a ` +
    `module-level \`const\` holding one; the schema is read without running code)`,
  optionsNotObject: (exprText: string) =>
    `Input(${exprText}) must be given an object literal (write Input({ description: "…", default: … }))`,
  unknownOption: (option: string, suggestion: string | undefined) =>
    `unknown Input option "${option}" (` +
    (suggestion ? `did you mean "${suggestion}"? ` : "") +
    `options are: ${INPUT_OPTIONS.join(", ")})`,
  badOptionValue: (option: string, expected: string) => `Input option "${option}" must be ${expected}`,
  defaultOutOfRange: (name: string, value: unknown, bound: "ge" | "le", limit: number) =>
    `default ${JSON.stringify(value)} of input "${name}" is ${bound === "ge" ? "below its minimum" : "above its maximum"} ` +
    `${bound}: ${limit} (use a default between the bounds, or change the bound)`,
  defaultNotInChoices: (name: string, value: unknown, choices: unknown[]) =>
    `default ${JSON.stringify(value)} of input "${name}" is not one of its choices ${JSON.stringify(choices)} ` +
    `(use one of the choices as the default)`,
  defaultWrongType: (name: string, value: unknown, typeText: string) =>
    `default ${JSON.stringify(value)} of input "${name}" is not of type ${typeText} (use a default of the input's type)`,
  choicesWithLiteralUnion: (name: string) =>
    `input "${name}" has both a literal union type and \`choices\` (use one: either \`${name}: "a" | "b"\` or ` +
    `\`${name}: string = Input({ choices: ["a", "b"] })\`)`,
  acceptOnNonPath: (name: string, typeText: string) =>
    `Input option "accept" is only for files, but input "${name}" is \`${typeText}\` (declare it as Path, or remove accept)`,
  unresolvedType: (typeName: string, from: string) =>
    `cannot resolve type ${typeName} imported from "${from}" (only types from local files (./…) and from "cogts" ` +
    `can be read statically; declare the type in this project)`,
} as const;

export interface SchemaProblem {
  code: SchemaErrorCode;
  /** Path relative to the project directory, as the user wrote it in cog.yaml. */
  file: string;
  line: number;
  column: number;
  message: string;
}

export function formatProblem(problem: SchemaProblem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`;
}

/** Names from Cog (Python spelling), JSON Schema and other libraries, and the option they mean here. */
const SYNONYMS: Record<string, string> = {
  min: "ge",
  minimum: "ge",
  gte: "ge",
  max: "le",
  maximum: "le",
  lte: "le",
  pattern: "regex",
  min_length: "minLength",
  max_length: "maxLength",
  enum: "choices",
  options: "choices",
  help: "description",
};

/** Closest known option to a misspelt one (edit distance at most 3), for "did you mean". */
export function closestOption(option: string): string | undefined {
  const known = SYNONYMS[option.toLowerCase()];
  if (known) return known;
  let best: string | undefined;
  let bestDistance = 4;
  for (const candidate of INPUT_OPTIONS) {
    const distance = editDistance(option.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

const PY_SUPPORTED_INPUTS =
  "str, int, float, bool, Path, File, Secret, dict, Any, a TypedDict, list[T] of these, Literal[...], a union of JSON types " +
  "(str | int | float | bool | dict | list[T]), each optionally Optional[T] or `| None`";
const PY_SUPPORTED_OUTPUTS =
  "str, int, float, bool, Path, File, dict, dict[str, T], Any, list[T], a BaseModel, dataclass or TypedDict class of " +
  "these, Iterator[T], AsyncIterator[T], ConcatenateIterator[str] or AsyncConcatenateIterator[str]";
const PY_INPUT_OPTIONS = [
  "default",
  "description",
  "ge",
  "le",
  "min_length",
  "max_length",
  "regex",
  "choices",
  "deprecated",
  "accept",
] as const;

/** The same catalogue for Python predictors: the codes are shared, the fixes are written in Python. */
export const pythonSchemaMessages = {
  ...schemaMessages,
  badRef: (ref: string) =>
    `"${ref}" is not a predictor reference (write FILE.py:Name, for example "predict.py:Predictor")`,
  classNotFound: (name: string, file: string, found: string[]) =>
    `no class or function ${name} in ${file} (` +
    (found.length ? `defined here: ${found.join(", ")}; ` : "") +
    `write \`class ${name}(BasePredictor): …\` or fix the name in cog.yaml)`,
  methodNotFound: (className: string, methods: string[]) =>
    `class ${className} has no ${methods.map((m) => `${m}()`).join(" or ")} method (add ` +
    `\`def ${methods[0]}(self, …) -> …:\` to it or to a class it inherits from)`,
  missingParamType: (name: string) =>
    `parameter "${name}" has no type annotation (write \`${name}: str\`, \`${name}: int\`, \`${name}: Path\`, … ` +
    `so the schema knows its type)`,
  missingReturnType: (method: string) =>
    `${method}() has no return type annotation (write \`def ${method}(self, …) -> str:\` or the type it returns)`,
  unsupportedInputType: (name: string, typeText: string, why = "") =>
    `input "${name}" has unsupported type \`${typeText}\`${why ? ` (${why})` : ""} (supported: ${PY_SUPPORTED_INPUTS})`,
  unsupportedOutputType: (typeText: string, why = "") =>
    `unsupported output type \`${typeText}\`${why ? ` (${why})` : ""} (supported: ${PY_SUPPORTED_OUTPUTS})`,
  optionalOutput: (typeText: string) =>
    `output type \`${typeText}\` is optional or a union, which Cog rejects (return a single type; for "no value" ` +
    `return a BaseModel with an Optional field)`,
  concatenateNotString: (typeText: string) =>
    `ConcatenateIterator[${typeText}] is not supported (ConcatenateIterator streams text: write ` +
    `ConcatenateIterator[str], or Iterator[${typeText}] for other elements)`,
  nonLiteral: (what: string, exprText: string) =>
    `${what} \`${exprText}\` is not a literal (write a literal such as "text", 42, True, None, [1, 2] or a ` +
    `module-level constant holding one; the schema is read without running code)`,
  optionsNotObject: (exprText: string) =>
    `${exprText} must be called with keyword arguments (write Input(description="…", default=…))`,
  unknownOption: (option: string, suggestion: string | undefined) =>
    `unknown Input option "${option}" (` +
    (suggestion ? `did you mean "${suggestion}"? ` : "") +
    `options are: ${PY_INPUT_OPTIONS.join(", ")})`,
  defaultFactory: () =>
    `Input(default_factory=…) cannot be read statically (write a literal default=…, or default=None and build the ` +
    `value in predict())`,
  choicesWithLiteralUnion: (name: string) =>
    `input "${name}" has both a Literal type and \`choices\` (use one: either \`${name}: Literal["a", "b"]\` or ` +
    `\`${name}: str = Input(choices=["a", "b"])\`)`,
  acceptOnNonPath: (name: string, typeText: string) =>
    `Input option "accept" is only for files, but input "${name}" is \`${typeText}\` (declare it as Path or File, or remove accept)`,
  unresolvedType: (typeName: string, from: string) =>
    `cannot resolve output type ${typeName} (imported from ${from}; only the project's own modules are read: declare ` +
    `the class in this project, or wrap it as Annotated[${typeName}, cog.Opaque])`,
  syntaxError: () => `Python syntax error here (fix the syntax; the schema is read from the source)`,
  streamingNotIterator: () => `@streaming needs an iterator output (return Iterator[T] or ConcatenateIterator[str])`,
} as const;
