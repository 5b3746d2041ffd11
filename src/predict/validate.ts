/**
 * Checking a prediction's (or training's) input on this side, before anything is built or started, with Cog 0.22's
 * CLI messages (`unknown input "nope"; valid inputs are: …`, `missing required input "prompt"`, `invalid input
 * "count": expected integer, got string`). The rules themselves are the server's (runtime/validate.ts, Cog's 422
 * rules), so the CLI refuses exactly what the predictor would; only the wording is the CLI's. The CLI is stricter
 * in two ways, as Cog's: an unknown name is an error (the server drops it), and an explicit null is refused with a
 * hint to leave the input out.
 *
 *   checkInputs({ prompt: "hi", count: 0 }, openapi); // throws UserError('invalid input "count": 0 is less than …')
 */
import { compileInputValidator } from "../../runtime/validate.js";
import { UserError } from "../errors.js";

type Schema = Record<string, unknown>;

/** The input component a command's input is checked against: `TrainingInput` for `cog train` when there is one. */
export function inputComponent(openapi: Schema, train = false): string {
  const schemas = ((openapi.components as Schema | undefined)?.schemas ?? {}) as Record<string, Schema>;
  return train && schemas.TrainingInput ? "TrainingInput" : "Input";
}

function componentSchema(openapi: Schema, component: string): Schema | undefined {
  return (((openapi.components as Schema | undefined)?.schemas ?? {}) as Record<string, Schema>)[component];
}

/** Whether `openapi` has the input component to check against (an image built by another tool may lack one). */
export function canCheckInputs(openapi: Schema | undefined, train = false): boolean {
  if (!openapi) return false;
  return componentSchema(openapi, inputComponent(openapi, train))?.properties !== undefined;
}

/** Refuses names the predictor does not declare, all of them in one message, with the names it does take. */
export function checkInputNames(names: readonly string[], openapi: Schema, train = false): void {
  const properties = (componentSchema(openapi, inputComponent(openapi, train))?.properties ?? {}) as Schema;
  const unknown = names.filter((name) => !Object.hasOwn(properties, name)).sort();
  if (unknown.length === 0) return;
  const valid = Object.keys(properties).sort();
  const suffix = valid.length === 0 ? "model does not accept inputs" : `valid inputs are: ${valid.join(", ")}`;
  throw new UserError(
    unknown.length === 1
      ? `unknown input ${JSON.stringify(unknown[0])}; ${suffix}`
      : `unknown inputs ${unknown.map((name) => JSON.stringify(name)).join(", ")}; ${suffix}`,
  );
}

/** JSON's name for a value's type, as in Cog's messages. */
function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "bigint" ? "number" : typeof value;
}

/** One server-side problem (`loc`, jsonschema-rs style `msg`) in the CLI's words. */
function cliMessage(field: string, msg: string, value: unknown): string {
  if (msg === "Field required") return `missing required input ${JSON.stringify(field)}`;
  const name = JSON.stringify(field.replace(/\//g, "."));
  const wrongType = / is not of type ((?:"[^"]+"(?:, )?)+)$/.exec(msg);
  if (wrongType && !field.includes("/")) {
    const types = [...wrongType[1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
    const expected = types.length === 1 ? types[0]! : `${types.slice(0, -1).join(", ")} or ${types[types.length - 1]!}`;
    return `invalid input ${name}: expected ${expected}, got ${jsonType(value)}`;
  }
  const choices = / is not one of (\[.*\])$/.exec(msg);
  if (choices) {
    const allowed = JSON.parse(choices[1]!) as unknown[];
    return `invalid input ${name}: must be one of: ${allowed.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(", ")}`;
  }
  return `invalid input ${name}: ${msg}`;
}

/**
 * Checks `input` against the predictor's schema and throws a UserError with Cog's CLI wording when it would be
 * refused: unknown names first, then explicit nulls, then the server's rules (missing, types, bounds, choices,
 * lengths, patterns). Several problems are listed under `input validation failed:`.
 */
export function checkInputs(input: Record<string, unknown>, openapi: Schema, train = false): void {
  checkInputNames(Object.keys(input), openapi, train);
  const component = inputComponent(openapi, train);
  // As Cog's runtime validator, which ignores OpenAPI's `nullable`: a null is refused even for an optional input.
  for (const [name, value] of Object.entries(input).sort(([a], [b]) => a.localeCompare(b))) {
    if (value === null)
      throw new UserError(
        `invalid input ${JSON.stringify(name)}: must not be null (omit the input to use its default)`,
      );
  }
  const result = compileInputValidator(openapi, component)(input);
  if (result.ok) return;
  const messages = result.detail.map((d) => {
    const field = String(d.loc[2] ?? d.loc.slice(1).join("."));
    return cliMessage(field, d.msg, input[field]);
  });
  throw new UserError(messages.length === 1 ? messages[0]! : `input validation failed:\n- ${messages.join("\n- ")}`);
}
