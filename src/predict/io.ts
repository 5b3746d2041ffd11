/**
 * `cog run`/`cog train` inputs (`-i name=value`, `--json`) and one prediction against a running server, as Cog's
 * CLI does: values typed by the schema, `@file` for files, JSON for lists; outputs as src/predict/outputs.ts
 * writes them.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, extname, isAbsolute, join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { MIME_BY_EXTENSION, writeJsonDocument, writeOutputs } from "./outputs.js";

type Schema = Record<string, unknown>;

function propertySchema(openapi: Schema, name: string, component: string): Schema | undefined {
  const schemas = ((openapi.components as Schema | undefined)?.schemas ?? {}) as Record<string, Schema>;
  const properties = (schemas[component]?.properties ?? {}) as Record<string, Schema>;
  const property = properties[name];
  if (!property) return undefined;
  const ref = Array.isArray(property.allOf)
    ? ((property.allOf[0] as Schema | undefined)?.$ref as string | undefined)
    : undefined;
  return ref ? { ...schemas[ref.split("/").pop()!], ...property } : property;
}

/**
 * A file input as a data URL that keeps the file's type and name: `data:image/png;name=photo.png;base64,…`. The
 * type is what Cog's server names the file by (a `.png` reaches the predictor as a `.png`); the `name` parameter
 * (RFC 2397 allows parameters) lets cogts's server keep the whole name, as `cog run --no-docker` does.
 */
export function fileDataUrl(path: string, bytes: Buffer): string {
  const name = basename(path);
  const mime = MIME_BY_EXTENSION[extname(name).toLowerCase()] ?? "application/octet-stream";
  return `data:${mime};name=${encodeURIComponent(name)};base64,${bytes.toString("base64")}`;
}

/** A path as the user typed it: `~/…` is in their home folder (as Cog expands it), others relative to `cwd`. */
function userPath(raw: string, cwd: string): string {
  if (raw === "~" || raw.startsWith("~/")) return join(homedir(), raw.slice(1));
  return isAbsolute(raw) ? raw : resolve(cwd, raw);
}

function fileValue(raw: string, cwd: string, asDataUrl: boolean): string {
  const path = userPath(raw, cwd);
  if (!existsSync(path)) throw new UserError(`input file ${raw} does not exist`);
  if (!asDataUrl) return path;
  return fileDataUrl(path, readFileSync(path));
}

/** Whether a schema, or a member of its union (anyOf), is of one of `types`. */
function accepts(schema: Schema, ...types: string[]): boolean {
  if (types.includes(schema.type as string)) return true;
  return Array.isArray(schema.anyOf) && (schema.anyOf as Schema[]).some((member) => accepts(member, ...types));
}

/**
 * A union input (`string | number`) from the command line, as Cog's CLI reads one: a number when a number member
 * takes it (`1.5` needs a float member, `1` any numeric one), true/false for a boolean member, the text otherwise.
 */
function unionScalar(raw: string, schema: Schema): unknown {
  const n = Number(raw);
  if (
    raw.trim() !== "" &&
    Number.isFinite(n) &&
    (accepts(schema, "number") || (Number.isInteger(n) && accepts(schema, "integer")))
  )
    return n;
  if ((raw === "true" || raw === "false") && accepts(schema, "boolean")) return raw === "true";
  return raw;
}

function scalar(raw: string, schema: Schema, cwd: string, asDataUrl: boolean): unknown {
  if (raw.startsWith("@")) return fileValue(raw.slice(1), cwd, asDataUrl);
  if (schema.type === undefined && Array.isArray(schema.anyOf)) return unionScalar(raw, schema);
  switch (schema.type) {
    case "integer":
    case "number": {
      // Text that is not a number stays text: checkInputs reports it as Cog does (`expected integer, got string`).
      const n = Number(raw);
      return raw.trim() === "" || !Number.isFinite(n) ? raw : n;
    }
    case "boolean":
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      return raw;
    case "object":
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}

/** `["prompt=hi", "image=@cat.png", "sizes=[1,2]"]` → the prediction's input object. */
export function buildInputs(
  pairs: readonly string[],
  openapi: Schema,
  options: { cwd: string; component?: string; filesAsDataUrls?: boolean },
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const repeated = new Set<string>();
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UserError(`-i ${pair}: write inputs as name=value (files as name=@path)`);
    const name = pair.slice(0, at);
    let raw = pair.slice(at + 1);
    // As Cog's CLI: a value in double quotes (`-i 'prompt="a b"'`) is the text between them.
    if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) raw = raw.slice(1, -1);
    const schema = propertySchema(openapi, name, options.component ?? "Input");
    // An unknown name is kept as it is, for checkInputs to report with the names the predictor takes.
    if (!schema) {
      input[name] = raw;
      continue;
    }
    const asDataUrl = options.filesAsDataUrls ?? false;
    if (schema.type === "array") {
      const items = (schema.items ?? {}) as Schema;
      let values: unknown[];
      if (raw.trim().startsWith("[")) {
        try {
          values = JSON.parse(raw) as unknown[];
        } catch {
          throw new UserError(`-i ${name}=${raw}: not valid JSON`);
        }
        values = values.map((v) =>
          typeof v === "string" && v.startsWith("@") ? fileValue(v.slice(1), options.cwd, asDataUrl) : v,
        );
      } else {
        values = [scalar(raw, items, options.cwd, asDataUrl)];
      }
      input[name] = [...((input[name] as unknown[] | undefined) ?? []), ...values];
    } else if (repeated.has(name) || Object.hasOwn(input, name)) {
      // As Cog's CLI: a name given twice is a list of its values (which the schema check refuses for a single value).
      input[name] = [
        ...(repeated.has(name) ? (input[name] as unknown[]) : [input[name]]),
        scalar(raw, schema, options.cwd, asDataUrl),
      ];
      repeated.add(name);
    } else {
      input[name] = scalar(raw, schema, options.cwd, asDataUrl);
    }
  }
  return input;
}

/**
 * `--json VALUE`: the whole input as one JSON object, inline, from a file (`@inputs.json`) or from stdin (`@-` or
 * `-`). String values `@path` are files, sent as `-i name=@path` sends them. Names are checked before any file is
 * read (checkInputNames); the rest of the checks are the caller's (checkInputs).
 */
export async function readJsonInput(
  value: string,
  options: {
    cwd: string;
    stdin?: NodeJS.ReadableStream;
    filesAsDataUrls?: boolean;
    checkNames?: (names: string[]) => void;
  },
): Promise<Record<string, unknown>> {
  let text: string;
  if (value === "-" || value === "@-") {
    const chunks: Buffer[] = [];
    for await (const chunk of options.stdin ?? process.stdin) chunks.push(Buffer.from(chunk as Buffer));
    text = Buffer.concat(chunks).toString("utf8");
  } else if (value.startsWith("@")) {
    const path = userPath(value.slice(1), options.cwd);
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new UserError(
        `Failed to read JSON from file ${JSON.stringify(value.slice(1))}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
  } else {
    text = value;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UserError(`Failed to parse JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new UserError("Failed to parse JSON: the inputs must be a JSON object");
  const input = parsed as Record<string, unknown>;
  options.checkNames?.(Object.keys(input));
  const asDataUrl = options.filesAsDataUrls ?? false;
  return Object.fromEntries(
    Object.entries(input).map(([name, v]) => [
      name,
      typeof v === "string" && v.startsWith("@") ? fileValue(v.slice(1), options.cwd, asDataUrl) : v,
    ]),
  );
}

interface PredictionResponse {
  status?: string;
  output?: unknown;
  error?: string;
  logs?: string;
  detail?: { loc: (string | number)[]; msg: string }[];
}

export interface PredictionIo {
  cwd: string;
  /** `-o`. */
  outputPath?: string;
  /** `--json`: print (or write to `-o`) the whole prediction as JSON, file outputs replaced by their paths. */
  json?: boolean;
  /** `cog train`: POST /trainings and the training's words. */
  train?: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** `output.json` → `output`: the base name of the files of a `--json` run, whose `-o` names the JSON document. */
function withoutExtension(path: string): string {
  const ext = extname(path);
  return ext ? path.slice(0, -ext.length) : path;
}

/**
 * Sends one prediction (or training) to a running server (local or in a container) and reports it as `cog run`
 * does: logs to stderr, output files written to the working directory, text to stdout, `No output generated` for a
 * null output; invalid input or a failed prediction becomes a UserError (exit 1). With `json`, the prediction as
 * JSON, and exit 1 when it did not succeed.
 */
export async function runOnePrediction(
  serverUrl: string,
  input: Record<string, unknown>,
  openapi: Schema,
  io: PredictionIo,
): Promise<void> {
  const what = io.train ? "training" : "prediction";
  // As Cog's CLI: `-o @out.png` means out.png, `~/…` the home folder.
  if (io.outputPath) io = { ...io, outputPath: io.outputPath.replace(/^@/, "").replace(/^~(?=\/|$)/, homedir()) };
  io.stderr.write(`Running ${what}…\n`);
  const response = await fetch(`${serverUrl}/${io.train ? "trainings" : "predictions"}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input }),
  });
  const body = (await response.json()) as PredictionResponse;
  if (response.status === 422 && body.detail) {
    throw new UserError(
      "the inputs are not valid:",
      body.detail.map((d) => `${String(d.loc[2] ?? d.loc.join("."))}: ${d.msg}`),
    );
  }
  if (body.logs) io.stderr.write(body.logs.endsWith("\n") ? body.logs : `${body.logs}\n`);
  const outputSchema =
    (openapi.components as { schemas?: Record<string, Record<string, unknown>> } | undefined)?.schemas?.Output ?? {};
  const concatenate = outputSchema["x-cog-array-display"] === "concatenate";
  if (io.json) {
    const document: Record<string, unknown> = { ...body };
    if (body.status === "succeeded" && body.output !== null && body.output !== undefined) {
      const written = writeOutputs(body.output, {
        cwd: io.cwd,
        outputPath: io.outputPath ? withoutExtension(io.outputPath) : undefined,
        filesOnly: true,
      });
      for (const file of written.files) io.stderr.write(`Written output to: ${file}\n`);
      document.output = written.output;
    }
    const text = JSON.stringify(document, null, 2);
    if (io.outputPath) {
      if (extname(io.outputPath) !== ".json")
        io.stderr.write(`--output value does not have a .json suffix: ${basename(io.outputPath)}\n`);
      io.stderr.write(`Written output to: ${writeJsonDocument(text, { cwd: io.cwd, outputPath: io.outputPath })}\n`);
    } else {
      io.stdout.write(`${text}\n`);
    }
    if (body.status !== "succeeded")
      throw new UserError(`the ${what} ${body.status ?? "failed"}${body.error ? `: ${body.error}` : ""}`);
    return;
  }
  if (body.status !== "succeeded")
    throw new UserError(`the ${what} ${body.status ?? "failed"}${body.error ? `: ${body.error}` : ""}`);
  if (body.output === null || body.output === undefined) {
    io.stderr.write("No output generated\n");
    return;
  }
  const written = writeOutputs(body.output, { cwd: io.cwd, outputPath: io.outputPath, concatenate });
  for (const file of written.files) io.stderr.write(`Written output to: ${file}\n`);
  if (written.printed !== undefined)
    io.stdout.write(written.printed.endsWith("\n") ? written.printed : `${written.printed}\n`);
}
