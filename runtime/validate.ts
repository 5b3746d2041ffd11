/**
 * Input validation with Cog 0.22's 422 rules (docs/spec/cog-contract.md §6), compiled once per schema with ajv.
 *
 *   const validate = compileInputValidator(openapi);
 *   const result = validate({ text: "hi", bogus: 1 }); // { ok: true, input: { text: "hi" } }
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

export interface ValidationDetail {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export type InputValidationResult =
  { ok: true; input: Record<string, unknown> } | { ok: false; detail: ValidationDetail[] };

/**
 * `firstProblemOnly` (for a large input): stop at the first violation. Listing every one made an 11 MB body of bad
 * array items into 5 M error objects and a 294 MB 422.
 */
export type InputValidator = (input: unknown, firstProblemOnly?: boolean) => InputValidationResult;

/** A 422 lists at most this many problems, and says how many more there were. */
const MAX_DETAIL = 100;
/** Field paths longer than this (a nested key can be megabytes) are cut. */
const MAX_FIELD_CHARS = 200;

type JsonSchema = Record<string, unknown>;

/** Compiles `components.schemas[component]` of an OpenAPI document into a validator giving Cog-shaped `detail`. */
export function compileInputValidator(openapi: unknown, component = "Input"): InputValidator {
  const schemas = ((openapi as { components?: { schemas?: Record<string, JsonSchema> } })?.components?.schemas ??
    {}) as Record<string, JsonSchema>;
  const root = schemas[component];
  if (!root) throw new Error(`the OpenAPI schema has no components.schemas.${component}`);
  const inlined = toAjvSchema(inlineRefs(root, schemas, new Set())) as JsonSchema;
  const properties = (inlined.properties ?? {}) as Record<string, JsonSchema>;
  const required = Array.isArray(inlined.required) ? (inlined.required as string[]) : [];
  // `required` is reported by us, in schema order, so ajv checks the rest only.
  const forAjv = { ...inlined, required: undefined };
  delete forAjv.required;
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false, validateFormats: false, validateSchema: false });
  const check = ajv.compile(forAjv);
  let checkFirst: ValidateFunction | undefined;
  const known = new Set(Object.keys(properties));
  const shadowsPrototype = [...known].some((name) => name in Object.prototype);

  return (input, firstProblemOnly = false) => {
    if (input === undefined || input === null) input = {};
    if (typeof input !== "object" || Array.isArray(input)) {
      return { ok: false, detail: [valueError("__root__", `${show(input)} is not of type "object"`)] };
    }
    // An input named like a property of every object (`toString`, `constructor`) that was left out must be
    // missing, not Object's: such a schema gets an object without a prototype. Others keep a plain object, which
    // V8 handles faster on the hot path (an object without a prototype is a dictionary).
    const kept = (shadowsPrototype ? Object.create(null) : {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
      if (known.has(key)) kept[key] = value;
    }
    const detail: ValidationDetail[] = [];
    for (const name of required) {
      if (kept[name] === undefined) {
        detail.push({ loc: ["body", "input", name], msg: "Field required", type: "value_error.missing" });
      }
    }
    let validate = check;
    if (firstProblemOnly) {
      checkFirst ??= new Ajv({
        allErrors: false,
        verbose: true,
        strict: false,
        validateFormats: false,
        validateSchema: false,
      }).compile(forAjv);
      validate = checkFirst;
    }
    let more = 0;
    if (!validate(kept)) {
      const errors = simplify(validate.errors ?? []);
      for (const error of errors) {
        if (detail.length >= MAX_DETAIL) {
          more++;
          continue;
        }
        const field = error.instancePath === "" ? "__root__" : decodePointer(error.instancePath);
        detail.push(
          valueError(field.length > MAX_FIELD_CHARS ? `${field.slice(0, MAX_FIELD_CHARS)}…` : field, describe(error)),
        );
      }
    }
    if (detail.length > MAX_DETAIL) {
      more += detail.length - MAX_DETAIL;
      detail.length = MAX_DETAIL;
    }
    if (more > 0) detail.push({ loc: ["body", "input"], msg: `${more} more problems not listed`, type: "value_error" });
    return detail.length > 0 ? { ok: false, detail } : { ok: true, input: kept };
  };
}

function valueError(field: string, msg: string): ValidationDetail {
  return { loc: ["body", "input", field], msg, type: "value_error" };
}

/** Replaces `$ref`s to components with the components themselves (a cycle is left as "anything"). */
function inlineRefs(node: unknown, schemas: Record<string, JsonSchema>, seen: Set<string>): unknown {
  if (Array.isArray(node)) return node.map((item) => inlineRefs(item, schemas, seen));
  if (node === null || typeof node !== "object") return node;
  const object = node as JsonSchema;
  if (typeof object.$ref === "string") {
    const name = object.$ref.replace(/^#\/components\/schemas\//, "");
    const target = schemas[name];
    if (!target || seen.has(name)) return {};
    const rest = { ...object };
    delete rest.$ref;
    const resolved = inlineRefs(target, schemas, new Set([...seen, name])) as JsonSchema;
    return Object.keys(rest).length === 0 ? resolved : { allOf: [resolved], ...inlineRefsObject(rest, schemas, seen) };
  }
  return inlineRefsObject(object, schemas, seen);
}

function inlineRefsObject(object: JsonSchema, schemas: Record<string, JsonSchema>, seen: Set<string>): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(object)) out[key] = inlineRefs(value, schemas, seen);
  return out;
}

/**
 * OpenAPI 3.0 `nullable: true` becomes JSON Schema null-acceptance. The null branch goes first so error
 * reporting can recognise and drop it.
 */
function toAjvSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toAjvSchema);
  if (node === null || typeof node !== "object") return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node as JsonSchema)) {
    if (key === "format") continue;
    out[key] = toAjvSchema(value);
  }
  if (out.nullable === true) {
    delete out.nullable;
    return { anyOf: [{ type: "null" }, out], [NULLABLE_WRAPPER]: true };
  }
  delete out.nullable;
  return out;
}

/** Marks the `anyOf` that stands for `nullable: true`, to tell it from a union the author wrote. */
const NULLABLE_WRAPPER = "x-cogts-nullable";

/**
 * Drops ajv's bookkeeping errors: the null branch of a nullable field and the `anyOf` summary above it. A union
 * input (`string | number`) that no branch accepts is one problem, as jsonschema-rs reports a failed anyOf: the
 * errors of its branches (one per member, or per element of a list member) are left out.
 */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const isWrapper = (e: ErrorObject) => (e.parentSchema as JsonSchema | undefined)?.[NULLABLE_WRAPPER] === true;
  const unions = errors.filter((e) => e.keyword === "anyOf" && !isWrapper(e));
  const inUnion = (e: ErrorObject) =>
    unions.some((union) => union !== e && e.schemaPath.startsWith(`${union.schemaPath}/`));
  const nullBranch = (e: ErrorObject) => e.keyword === "type" && e.params.type === "null";
  const useful = errors.filter((e) => !nullBranch(e) && e.keyword !== "if" && !inUnion(e));
  return useful.filter(
    (e) =>
      e.keyword !== "anyOf" ||
      (isWrapper(e)
        ? !useful.some((other) => other !== e && other.instancePath === e.instancePath && !isWrapper(other))
        : !useful.some((other) => other !== e && other.instancePath === e.instancePath && other.keyword !== "anyOf")),
  );
}

function decodePointer(pointer: string): string {
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .join("/");
}

function show(value: unknown): string {
  try {
    return showValue(value);
  } catch {
    return Array.isArray(value) ? "[…]" : typeof value === "object" ? "{…}" : String(value);
  }
}

function showValue(value: unknown): string {
  if (typeof value === "string" && value.length > 200) return JSON.stringify(value.slice(0, 200) + "…");
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 200 ? text.slice(0, 200) + "…" : text;
}

/** Messages in the style of jsonschema-rs, which Cog 0.22 uses: `"abc" is not of type "integer"`. */
function describe(error: ErrorObject): string {
  const value = show(error.data);
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "type":
      return `${value} is not of type ${Array.isArray(p.type) ? (p.type as string[]).map((t) => `"${t}"`).join(", ") : `"${String(p.type)}"`}`;
    case "minimum":
      return `${value} is less than the minimum of ${String(p.limit)}`;
    case "maximum":
      return `${value} is greater than the maximum of ${String(p.limit)}`;
    case "exclusiveMinimum":
      return `${value} is less than or equal to the minimum of ${String(p.limit)}`;
    case "exclusiveMaximum":
      return `${value} is greater than or equal to the maximum of ${String(p.limit)}`;
    case "minLength":
      return `${value} is shorter than ${String(p.limit)} character${p.limit === 1 ? "" : "s"}`;
    case "maxLength":
      return `${value} is longer than ${String(p.limit)} character${p.limit === 1 ? "" : "s"}`;
    case "pattern":
      return `${value} does not match ${JSON.stringify(p.pattern)}`;
    case "enum":
      return `${value} is not one of ${JSON.stringify(p.allowedValues)}`;
    case "const":
      return `${value} was expected to be ${JSON.stringify(p.allowedValue)}`;
    case "minItems":
      return `${value} has less than ${String(p.limit)} item${p.limit === 1 ? "" : "s"}`;
    case "maxItems":
      return `${value} has more than ${String(p.limit)} item${p.limit === 1 ? "" : "s"}`;
    case "multipleOf":
      return `${value} is not a multiple of ${String(p.multipleOf)}`;
    case "additionalProperties":
      return `Additional properties are not allowed (${JSON.stringify(p.additionalProperty)} was unexpected)`;
    case "required":
      return `${JSON.stringify(p.missingProperty)} is a required property`;
    case "anyOf":
    case "oneOf":
      return `${value} is not valid under any of the given schemas`;
    default:
      return `${value} is invalid: ${error.message ?? error.keyword}`;
  }
}
