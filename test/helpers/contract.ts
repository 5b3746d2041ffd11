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
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
    a: Ajv,
  ) => void;
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
    const params =
      e.keyword === "additionalProperties"
        ? ` ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)}`
        : "";
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

/** What is needed to know which schema an HTTP answer of the prediction server follows. */
export interface ExchangeShape {
  method: string;
  /** The request path, without the query string. */
  path: string;
  status: number;
  /** Request headers, lower-case names (`prefer`, `accept`). */
  requestHeaders?: Record<string, string | undefined>;
  /** The parsed response body (a 422 is a validation error or a failed prediction, told apart by its keys). */
  body?: unknown;
}

const PREDICTION_ROUTE = /^\/(predictions|trainings)(\/[^/]+)?$/;
const CANCEL_ROUTE = /^\/(predictions|trainings)\/[^/]+\/cancel$/;

/**
 * The contract schema a Cog 0.22 / cogts answer follows, or undefined when no wire schema applies
 * (`GET /openapi.json` 200 is the model's own document; an SSE stream is checked frame by frame).
 *
 *   expectMatchesContract(contractForResponse({ method: "POST", path: "/predictions", status: 409 })!, body);
 */
export function contractForResponse(exchange: ExchangeShape): ContractRef | undefined {
  const { method, path, status } = exchange;
  const headers = exchange.requestHeaders ?? {};
  if (path === "/health-check" && status === 200) return "health-check";
  if (path === "/" && status === 200) return "index";
  if (path === "/openapi.json") return status === 503 ? "http-error#/definitions/schemaNotAvailable" : undefined;
  if ((CANCEL_ROUTE.test(path) || path === "/shutdown") && (status === 200 || status === 404))
    return "http-error#/definitions/empty";
  if (status === 404) return "http-error#/definitions/notFound";
  if (status === 405) return "http-error#/definitions/methodNotAllowed";
  if (status === 400 || status === 413 || status === 415) return "http-error#/definitions/requestRejected";
  if (status === 406) return "http-error#/definitions/notStreaming";
  if (status === 409) return "http-error#/definitions/atCapacity";
  if (status === 503) return "http-error#/definitions/notReady";
  if (status === 422) {
    const isDetail = exchange.body !== null && typeof exchange.body === "object" && "detail" in exchange.body;
    return isDetail ? "validation-error" : "prediction-response#/definitions/inputFileError";
  }
  if (PREDICTION_ROUTE.test(path)) {
    if (String(headers.accept ?? "").includes("text/event-stream") && status === 200) return undefined;
    if (status === 202 && method === "POST") return "prediction-response#/definitions/accepted";
    if (status === 202) return "prediction-response#/definitions/snapshot";
    if (status === 200) return "prediction-response#/definitions/prediction";
  }
  return undefined;
}
