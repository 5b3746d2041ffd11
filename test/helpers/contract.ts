/**
 * The wire contract (schemas/*.schema.json) as a test assertion: every schema is compiled once per test
 * process, and a body that does not fit fails with each problem on its own line.
 *
 *   expectMatchesContract("prediction-response", body);
 *   expectMatchesContract("prediction-response#/definitions/accepted", body); // one definition
 *   expectMatchesContract("http-error#/definitions/atCapacity", body);
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

export const SCHEMAS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "schemas");
const ID_BASE = "https://github.com/cogts/cogts/schemas/";

/** The wire schemas by short name (`prediction-response`); cog.yaml's schema is not a wire contract. */
export const CONTRACT_SCHEMAS = [
  "prediction-request",
  "prediction-response",
  "webhook-payload",
  "health-check",
  "validation-error",
  "http-error",
  "index",
  "sse-events",
] as const;
export type ContractSchema = (typeof CONTRACT_SCHEMAS)[number];
/** A schema name, optionally with a JSON pointer to one of its definitions. */
export type ContractRef = ContractSchema | `${ContractSchema}#/definitions/${string}`;

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function contractAjv(): Ajv {
  if (ajv) return ajv;
  // allErrors: a failure lists every problem, not the first one.
  ajv = new Ajv({ allErrors: true, strict: false });
  // ajv-formats is CommonJS: under NodeNext its default import is the module object.
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => void;
  addFormats(ajv);
  for (const file of readdirSync(SCHEMAS_DIR)) {
    if (!file.endsWith(".schema.json") || file === "cog.yaml.schema.json") continue;
    ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS_DIR, file), "utf8")) as object);
  }
  return ajv;
}

/** The compiled validator of a schema or one of its definitions. */
export function contractValidator(ref: ContractRef): ValidateFunction {
  let validate = compiled.get(ref);
  if (!validate) {
    const [name, pointer] = ref.split("#") as [string, string | undefined];
    const id = `${ID_BASE}${name}.schema.json${pointer ? `#${pointer}` : ""}`;
    validate = contractAjv().getSchema(id);
    if (!validate) throw new Error(`no contract schema ${ref} (looked for ${id})`);
    compiled.set(ref, validate);
  }
  return validate;
}

/** The problems of `body` against `ref`, one readable line each; empty when it fits. */
export function contractProblems(ref: ContractRef, body: unknown): string[] {
  const validate = contractValidator(ref);
  if (validate(body)) return [];
  return describeErrors(validate.errors ?? []);
}

function describeErrors(errors: ErrorObject[]): string[] {
  // if/then and anyOf summaries repeat what the specific errors say.
  const specific = errors.filter((e) => e.keyword !== "if");
  const lines = specific.map((e) => {
    const where = e.instancePath === "" ? "(body)" : e.instancePath;
    const params = e.keyword === "additionalProperties" ? ` ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)}` : "";
    return `${where}: ${e.message ?? e.keyword}${params} [${e.schemaPath}]`;
  });
  return [...new Set(lines)];
}

/** Fails with every problem when `body` does not match the contract schema `ref`. */
export function expectMatchesContract(ref: ContractRef, body: unknown, what = "body"): void {
  const problems = contractProblems(ref, body);
  if (problems.length > 0) {
    const shown = JSON.stringify(body);
    throw new Error(
      `${what} does not match schemas/${ref.split("#")[0]}.schema.json${ref.includes("#") ? `#${ref.split("#")[1]}` : ""}:\n  ${problems.join("\n  ")}\n${what}: ${shown.length > 2000 ? `${shown.slice(0, 2000)}…` : shown}`,
    );
  }
}

/** True when `body` matches `ref` (for tests that prove a schema rejects something). */
export function matchesContract(ref: ContractRef, body: unknown): boolean {
  return contractValidator(ref)(body) === true;
}
