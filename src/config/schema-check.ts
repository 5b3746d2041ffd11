/**
 * Validates cog.yaml data against schemas/cog.yaml.schema.json with ajv and turns ajv's errors into sentences a
 * user can act on: YAML words (mapping, list), the type that was expected with an example taken from the schema's
 * `examples`, and for unknown keys the closest valid key.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ErrorObject } from "ajv";
import { PACKAGE_ROOT } from "../version.js";
import type { Problem, YamlPath } from "./yaml-source.js";

const COG_YAML_SCHEMA_PATH = join(PACKAGE_ROOT, "schemas", "cog.yaml.schema.json");

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  examples?: unknown[];
  enum?: unknown[];
  "x-message"?: string;
}

/** Keys Cog once had and later removed: say so instead of guessing a spelling. */
const REMOVED_KEYS: Record<string, string> = {
  tests: "was removed in Cog 0.17",
  "build.fast": "was removed in Cog 0.17",
  "build.python_overrides": "was removed in Cog 0.17",
  "build.cog_runtime": "was removed in Cog 0.17",
};

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
let compiled: Validate | undefined;
let schemaRoot: SchemaNode | undefined;

async function validator(): Promise<Validate> {
  if (!compiled) {
    const { Ajv } = await import("ajv");
    schemaRoot = JSON.parse(readFileSync(COG_YAML_SCHEMA_PATH, "utf8")) as SchemaNode;
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    // Our annotation: the sentence to show when a pattern/minimum/minItems check beside it fails.
    ajv.addKeyword({ keyword: "x-message", schemaType: "string" });
    compiled = ajv.compile(schemaRoot);
  }
  return compiled;
}

/**
 * The schema problems in `data`, humanised: the first `limit` of them, and how many there are in all (a file with
 * thousands of bad entries is reported in part, at a cost linear in its size).
 */
export async function checkAgainstSchema(
  data: unknown,
  limit = Infinity,
): Promise<{ problems: Problem[]; total: number }> {
  const validate = await validator();
  if (validate(data)) return { problems: [], total: 0 };
  const errors = resolveAnyOf(validate.errors ?? []);
  return { problems: errors.slice(0, limit).flatMap((error) => humanise(error)), total: errors.length };
}

/**
 * ajv reports every branch of an `anyOf`. Keep the branch whose type matches the value (its errors are the useful
 * ones); when no branch's type matches, keep only the anyOf error and say which types would do. An error is looked
 * up against the anyOf errors at its own instance path and its ancestors only, so this stays linear in the errors.
 */
function resolveAnyOf(errors: ErrorObject[]): ErrorObject[] {
  const anyOfsAt = new Map<string, { error: ErrorObject; matching: number }[]>();
  const matchingOf = new Map<ErrorObject, number>();
  for (const error of errors) {
    if (error.keyword !== "anyOf") continue;
    const matching = (error.schema as SchemaNode[]).findIndex((branch) => typeMatches(branch.type, error.data));
    matchingOf.set(error, matching);
    const list = anyOfsAt.get(error.instancePath) ?? [];
    list.push({ error, matching });
    anyOfsAt.set(error.instancePath, list);
  }
  if (anyOfsAt.size === 0) return errors;
  return errors.filter((e) => {
    if (e.keyword === "anyOf" && matchingOf.get(e) !== -1) return false;
    const parts = e.instancePath.split("/");
    for (let depth = 1; depth <= parts.length; depth++) {
      for (const { error: anyOf, matching } of anyOfsAt.get(parts.slice(0, depth).join("/")) ?? []) {
        const prefix = `${anyOf.schemaPath}/`;
        if (!e.schemaPath.startsWith(prefix)) continue;
        if (matching === -1 || !e.schemaPath.startsWith(`${prefix}${matching}/`)) return false;
      }
    }
    return true;
  });
}

function typeMatches(type: string | string[] | undefined, value: unknown): boolean {
  if (type === undefined) return true;
  const types = Array.isArray(type) ? type : [type];
  return types.some((t) => {
    switch (t) {
      case "object":
        return value !== null && typeof value === "object" && !Array.isArray(value);
      case "array":
        return Array.isArray(value);
      case "integer":
        return Number.isInteger(value);
      case "null":
        return value === null;
      default:
        return typeof value === t;
    }
  });
}

function pathOf(error: ErrorObject): (string | number)[] {
  if (!error.instancePath) return [];
  return error.instancePath
    .slice(1)
    .split("/")
    .map((part) => {
      const unescaped = part.replace(/~1/g, "/").replace(/~0/g, "~");
      return /^\d+$/.test(unescaped) ? Number(unescaped) : unescaped;
    });
}

/** `build.run[0].command`; the whole file is "cog.yaml". */
function describePath(path: YamlPath): string {
  if (path.length === 0) return "the file";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

const HUMAN_TYPE: Record<string, string> = {
  object: "a mapping",
  array: "a list",
  string: "a string",
  number: "a number",
  integer: "a whole number",
  boolean: "true or false",
  null: "nothing",
};

function humanTypes(type: string | string[] | undefined): string {
  const types = (Array.isArray(type) ? type : String(type ?? "").split(",")).filter(Boolean);
  const words = [...new Set(types.map((t) => HUMAN_TYPE[t] ?? t))];
  return words.length <= 1 ? (words[0] ?? "something else") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

/** What the user wrote, in words: `the string "yes"`, `a list`. */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "number") return `the number ${value}`;
  return String(value);
}

/** A YAML flow rendering short enough for one line: `{ command: "echo", mounts: [...] }`. */
function flow(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flow).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${flow(v)}`)
      .join(", ")} }`;
  }
  return JSON.stringify(value);
}

function exampleLine(path: YamlPath, schema: SchemaNode | undefined): string {
  const example = schema?.examples?.[0] ?? schema?.anyOf?.find((b) => b.examples)?.examples?.[0];
  if (example === undefined) return "";
  const last = path.at(-1);
  const line =
    typeof last === "number" ? `- ${flow(example)}` : last === undefined ? flow(example) : `${last}: ${flow(example)}`;
  return ` (for example \`${line}\`)`;
}

function humanise(error: ErrorObject): Problem[] {
  const path = pathOf(error);
  const where = describePath(path);
  const parent = error.parentSchema as SchemaNode | undefined;
  const custom = parent?.["x-message"];
  switch (error.keyword) {
    case "type":
    case "anyOf": {
      const type = error.keyword === "type" ? (error.params as { type: string }).type : anyOfTypes(error);
      if (path.length === 0) {
        return [
          {
            path,
            message: `cog.yaml must be a mapping of keys such as build and run, not ${describeValue(error.data)}.`,
          },
        ];
      }
      return [
        {
          path,
          message: `${where} must be ${humanTypes(type)}, not ${describeValue(error.data)}${exampleLine(path, parent)}.`,
        },
      ];
    }
    case "additionalProperties": {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      return [{ path: [...path, key], at: "key", message: unknownKeyMessage(path, key, parent) }];
    }
    case "required": {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return [
        {
          path,
          message: `${where} is missing the key "${missing}"${exampleLine([missing], parent?.properties?.[missing])}.`,
        },
      ];
    }
    case "enum":
      return [
        {
          path,
          message: `${where} must be ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(" or ")}, not ${describeValue(error.data)}.`,
        },
      ];
    case "pattern":
      return [
        {
          path,
          message: `${where} ${custom ?? `must match ${(error.params as { pattern: string }).pattern}`}, not ${JSON.stringify(error.data)}.`,
        },
      ];
    case "minimum":
      return [
        {
          path,
          message: `${where} ${custom ?? `must be at least ${(error.params as { limit: number }).limit}`}, not ${describeValue(error.data)}.`,
        },
      ];
    case "minItems":
      return [{ path, message: `${where} ${custom ?? "must not be an empty list"}.` }];
    default:
      return [{ path, message: `${where} ${error.message ?? "is invalid"}.` }];
  }
}

function anyOfTypes(error: ErrorObject): string[] {
  return (error.schema as SchemaNode[]).flatMap((branch) =>
    Array.isArray(branch.type) ? branch.type : branch.type ? [branch.type] : [],
  );
}

function unknownKeyMessage(path: YamlPath, key: string, parent: SchemaNode | undefined): string {
  const dotted = [...path.filter((p) => typeof p === "string"), key].join(".");
  const inWhat = path.length === 0 ? "at the top level of cog.yaml" : `in ${describePath(path)}`;
  const removed = REMOVED_KEYS[dotted];
  if (removed) return `unknown key "${key}" ${inWhat}: it ${removed}. Delete it.`;
  const elsewhere = otherLevel(path, key);
  if (elsewhere) return `unknown key "${key}" ${inWhat}: ${elsewhere}.`;
  const valid = Object.keys(parent?.properties ?? {});
  const closest = closestKey(key, valid);
  if (closest) return `unknown key "${key}" ${inWhat}. Did you mean "${closest}"?`;
  return `unknown key "${key}" ${inWhat}. Valid keys here: ${valid.join(", ")}.`;
}

/** A top-level key written under build, or a build key written at the top level. */
function otherLevel(path: YamlPath, key: string): string | undefined {
  const root = schemaRoot!;
  const buildKeys = root.properties?.build?.properties ?? {};
  if (path.length === 0 && key in buildKeys) return `"${key}" belongs under build (indent it below a "build:" line)`;
  if (path.length === 1 && path[0] === "build" && key in (root.properties ?? {})) {
    return `"${key}" is a top-level key, not part of build; move it out of build (no indentation)`;
  }
  return undefined;
}

/** The valid key closest to a misspelling, when close enough to be a typo. */
export function closestKey(key: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = key.toLowerCase();
  for (const candidate of candidates) {
    // The distance is at least the difference in length: a candidate that cannot beat the best is not measured.
    if (Math.abs(lower.length - candidate.length) >= bestDistance) continue;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const tolerance = Math.max(1, Math.floor((best?.length ?? 0) / 3));
  return bestDistance <= tolerance ? best : undefined;
}

/**
 * Levenshtein distance where swapping two neighbouring letters counts as one edit (`buidl` is one from `build`).
 * Three rolling rows instead of a matrix: a file with thousands of unknown keys measures each against every key.
 */
function editDistance(a: string, b: string): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        current[j] = Math.min(current[j]!, before[j - 2]! + 1);
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length]!;
}
