/**
 * `cog run -i name=value` inputs and the prediction's outputs on disk, as Cog's CLI does: values typed by the
 * schema, `@file` for files, JSON for lists; file outputs written to the working directory, text to stdout.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join, resolve } from "node:path";
import { UserError } from "../errors.js";

type Schema = Record<string, unknown>;

function propertySchema(openapi: Schema, name: string, component: string): Schema | undefined {
  const schemas = ((openapi.components as Schema | undefined)?.schemas ?? {}) as Record<string, Schema>;
  const properties = (schemas[component]?.properties ?? {}) as Record<string, Schema>;
  const property = properties[name];
  if (!property) return undefined;
  const ref = Array.isArray(property.allOf) ? ((property.allOf[0] as Schema | undefined)?.$ref as string | undefined) : undefined;
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

function fileValue(raw: string, cwd: string, asDataUrl: boolean): string {
  const path = isAbsolute(raw) ? raw : resolve(cwd, raw);
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
  if (raw.trim() !== "" && Number.isFinite(n) && (accepts(schema, "number") || (Number.isInteger(n) && accepts(schema, "integer")))) return n;
  if ((raw === "true" || raw === "false") && accepts(schema, "boolean")) return raw === "true";
  return raw;
}

function scalar(name: string, raw: string, schema: Schema, cwd: string, asDataUrl: boolean): unknown {
  if (raw.startsWith("@")) return fileValue(raw.slice(1), cwd, asDataUrl);
  if (schema.type === undefined && Array.isArray(schema.anyOf)) return unionScalar(raw, schema);
  switch (schema.type) {
    case "integer":
    case "number": {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n)) throw new UserError(`-i ${name}=${raw}: ${name} expects a number`);
      return n;
    }
    case "boolean":
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      throw new UserError(`-i ${name}=${raw}: ${name} expects true or false`);
    case "object":
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        throw new UserError(`-i ${name}=${raw}: ${name} expects a JSON object`);
      }
    default:
      return raw;
  }
}

/** `["prompt=hi", "image=@cat.png", "sizes=[1,2]"]` → the prediction's input object. */
export function buildInputs(pairs: readonly string[], openapi: Schema, options: { cwd: string; component?: string; filesAsDataUrls?: boolean }): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UserError(`-i ${pair}: write inputs as name=value (files as name=@path)`);
    const name = pair.slice(0, at);
    const raw = pair.slice(at + 1);
    const schema = propertySchema(openapi, name, options.component ?? "Input");
    if (!schema) throw new UserError(`-i ${name}: the predictor has no input named ${name}`);
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
        values = values.map((v) => (typeof v === "string" && v.startsWith("@") ? fileValue(v.slice(1), options.cwd, asDataUrl) : v));
      } else {
        values = [scalar(name, raw, items, options.cwd, asDataUrl)];
      }
      input[name] = [...((input[name] as unknown[] | undefined) ?? []), ...values];
    } else {
      input[name] = scalar(name, raw, schema, options.cwd, asDataUrl);
    }
  }
  return input;
}

const EXTENSIONS: Record<string, string> = {
  "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp", "text/plain": ".txt",
  "application/json": ".json", "audio/wav": ".wav", "audio/mpeg": ".mp3", "video/mp4": ".mp4", "application/pdf": ".pdf",
};
const MIME_BY_EXTENSION: Record<string, string> = {
  ...Object.fromEntries(Object.entries(EXTENSIONS).map(([mime, ext]) => [ext, mime])),
  ".jpeg": "image/jpeg", ".bmp": "image/bmp", ".svg": "image/svg+xml", ".tif": "image/tiff", ".tiff": "image/tiff",
  ".csv": "text/csv", ".md": "text/markdown", ".html": "text/html", ".ogg": "audio/ogg", ".flac": "audio/flac",
  ".webm": "video/webm", ".mov": "video/quicktime", ".zip": "application/zip",
};

function decodeDataUrl(url: string): { bytes: Buffer; extension: string } | undefined {
  const match = /^data:([^;,]*)(;[^,]*)?,(.*)$/s.exec(url);
  if (!match) return undefined;
  const base64 = (match[2] ?? "").includes(";base64");
  const bytes = base64 ? Buffer.from(match[3]!, "base64") : Buffer.from(decodeURIComponent(match[3]!));
  return { bytes, extension: EXTENSIONS[match[1]!] ?? "" };
}

/**
 * Writes file outputs (data URLs) to disk and returns what to print. `outputPath` (`-o`) names the file for a
 * single file output, or is the JSON/text destination otherwise.
 */
export function writeOutputs(output: unknown, given: { cwd: string; outputPath?: string; concatenate?: boolean }): { printed?: string; files: string[] } {
  const options = { ...given, outputPath: intoFolder(given.cwd, given.outputPath, output) };
  const files: string[] = [];
  const save = (url: string, name: string): string => {
    const decoded = decodeDataUrl(url)!;
    const path = resolve(options.cwd, name.includes(".") ? name : `${name}${decoded.extension}`);
    writeOutputFile(path, decoded.bytes);
    files.push(path);
    return path;
  };
  const isFile = (v: unknown): v is string => typeof v === "string" && v.startsWith("data:") && decodeDataUrl(v) !== undefined;
  if (isFile(output)) {
    save(output, options.outputPath ?? "output");
    return { files };
  }
  if (Array.isArray(output) && output.length > 0 && output.every(isFile)) {
    const base = options.outputPath ?? "output";
    const dot = base.lastIndexOf(".");
    output.forEach((url, i) => save(url, dot > 0 ? `${base.slice(0, dot)}.${i}${base.slice(dot)}` : `${base}.${i}`));
    return { files };
  }
  if (options.concatenate && Array.isArray(output) && output.every((v) => typeof v === "string")) {
    return finishText(output.join(""), options, files);
  }
  const text = typeof output === "string" ? output : JSON.stringify(output, null, 2);
  return finishText(text, options, files);
}

/** `-o results/` or `-o` an existing folder: the output goes inside it, under the default name. */
function intoFolder(cwd: string, outputPath: string | undefined, output: unknown): string | undefined {
  if (!outputPath) return outputPath;
  const isFolder = /[\\/]$/.test(outputPath) || (existsSync(resolve(cwd, outputPath)) && statSync(resolve(cwd, outputPath)).isDirectory());
  if (!isFolder) return outputPath;
  const isText = typeof output === "string" && !output.startsWith("data:");
  const isFiles = typeof output === "string" || (Array.isArray(output) && output.length > 0 && output.every((v) => typeof v === "string" && v.startsWith("data:")));
  return join(outputPath, isText ? "output.txt" : isFiles ? "output" : "output.json");
}

/** Writes an output file, creating the folders `-o` names that do not exist yet. */
function writeOutputFile(path: string, data: string | Buffer): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UserError(`cannot write the output to ${path} (${code}): choose another path with -o.`);
  }
}

function finishText(text: string, options: { cwd: string; outputPath?: string }, files: string[]): { printed?: string; files: string[] } {
  if (options.outputPath) {
    const path = resolve(options.cwd, options.outputPath);
    writeOutputFile(path, text);
    files.push(path);
    return { files };
  }
  return { printed: text, files };
}

interface PredictionResponse {
  status?: string;
  output?: unknown;
  error?: string;
  logs?: string;
  detail?: { loc: (string | number)[]; msg: string }[];
}

/**
 * Sends one prediction to a running server (local or in a container) and reports it as `cog run` does:
 * logs to stderr, output files written to the working directory, text to stdout; invalid input or a failed
 * prediction becomes a UserError (exit 1).
 */
export async function runOnePrediction(
  serverUrl: string,
  input: Record<string, unknown>,
  openapi: Schema,
  io: { cwd: string; outputPath?: string; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<void> {
  io.stderr.write("Running prediction…\n");
  const response = await fetch(`${serverUrl}/predictions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input }),
  });
  const body = (await response.json()) as PredictionResponse;
  if (response.status === 422 && body.detail) {
    throw new UserError("the inputs are not valid:", body.detail.map((d) => `${String(d.loc[2] ?? d.loc.join("."))}: ${d.msg}`));
  }
  if (body.logs) io.stderr.write(body.logs.endsWith("\n") ? body.logs : `${body.logs}\n`);
  if (body.status !== "succeeded") throw new UserError(`the prediction ${body.status ?? "failed"}${body.error ? `: ${body.error}` : ""}`);
  const outputSchema = (openapi.components as { schemas?: Record<string, Record<string, unknown>> } | undefined)?.schemas?.Output ?? {};
  const written = writeOutputs(body.output, {
    cwd: io.cwd,
    outputPath: io.outputPath,
    concatenate: outputSchema["x-cog-array-display"] === "concatenate",
  });
  for (const file of written.files) io.stderr.write(`Written output to ${file}\n`);
  if (written.printed !== undefined) io.stdout.write(written.printed.endsWith("\n") ? written.printed : `${written.printed}\n`);
}
