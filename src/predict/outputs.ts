/**
 * A prediction's output on disk and on stdout, named as Cog's CLI names it: a file output is `output` plus the
 * extension of its MIME type (`output.png`), a list or iterator of files `output.0.png`, `output.1.png`; `-o NAME`
 * replaces `output` (its own extension wins); each file written is announced as `Written output to: PATH`, with
 * PATH as the user gave it (relative stays relative).
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";
import { UserError } from "../errors.js";

/** File extensions of the common MIME types (the one used for an output file named by cogts). */
const EXTENSION_BY_MIME: Record<string, string> = {
  "application/gzip": ".gz",
  "application/json": ".json",
  "application/jsonl": ".jsonl",
  "application/x-ndjson": ".ndjson",
  "application/octet-stream": ".bin",
  "application/pdf": ".pdf",
  "application/zip": ".zip",
  "application/x-tar": ".tar",
  "application/xml": ".xml",
  "application/ogg": ".ogx",
  "application/msword": ".doc",
  "application/rtf": ".rtf",
  "application/x-7z-compressed": ".7z",
  "application/x-bzip2": ".bz2",
  "application/x-sh": ".sh",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
  "audio/aac": ".aac",
  "audio/flac": ".flac",
  "audio/midi": ".midi",
  "audio/mpeg": ".mp3",
  "audio/ogg": ".oga",
  "audio/opus": ".opus",
  "audio/wav": ".wav",
  "audio/x-wav": ".wav",
  "audio/wave": ".wav",
  "audio/webm": ".weba",
  "font/otf": ".otf",
  "font/ttf": ".ttf",
  "font/woff": ".woff",
  "font/woff2": ".woff2",
  "image/avif": ".avif",
  "image/bmp": ".bmp",
  "image/x-ms-bmp": ".bmp",
  "image/gif": ".gif",
  "image/heic": ".heic",
  "image/jpeg": ".jpg",
  "image/png": ".png",
  "image/svg+xml": ".svg",
  "image/tiff": ".tiff",
  "image/vnd.microsoft.icon": ".ico",
  "image/x-icon": ".ico",
  "image/webp": ".webp",
  "model/gltf-binary": ".glb",
  "model/obj": ".obj",
  "text/calendar": ".ics",
  "text/css": ".css",
  "text/csv": ".csv",
  "text/html": ".html",
  "text/javascript": ".js",
  "text/markdown": ".md",
  "text/plain": ".txt",
  "text/xml": ".xml",
  "text/vtt": ".vtt",
  "video/mp2t": ".ts",
  "video/mp4": ".mp4",
  "video/mpeg": ".mpeg",
  "video/ogg": ".ogv",
  "video/quicktime": ".mov",
  "video/webm": ".webm",
  "video/x-msvideo": ".avi",
  "video/3gpp": ".3gp",
};

/** MIME types by extension, for `-i name=@file` (the reverse table, plus the spellings it leaves out). */
export const MIME_BY_EXTENSION: Record<string, string> = {
  ...Object.fromEntries(
    Object.entries(EXTENSION_BY_MIME)
      .reverse()
      .map(([mime, ext]) => [ext, mime]),
  ),
  ".jpeg": "image/jpeg",
  ".tif": "image/tiff",
  ".ogg": "audio/ogg",
  ".htm": "text/html",
  ".mid": "audio/midi",
  ".wav": "audio/wav",
  ".bmp": "image/bmp",
  ".ico": "image/vnd.microsoft.icon",
  ".xml": "application/xml",
  ".ts": "video/mp2t",
};

/** The extension cogts gives a file of `mime` (parameters ignored); "" for a type it does not know. */
export function extensionForMime(mime: string): string {
  return EXTENSION_BY_MIME[mime.split(";")[0]!.trim().toLowerCase()] ?? "";
}

function decodeDataUrl(url: string): { bytes: Buffer; extension: string } | undefined {
  const match = /^data:([^;,]*)(;[^,]*)?,(.*)$/s.exec(url);
  if (!match) return undefined;
  const base64 = (match[2] ?? "").includes(";base64");
  const bytes = base64 ? Buffer.from(match[3]!, "base64") : Buffer.from(decodeURIComponent(match[3]!));
  return { bytes, extension: extensionForMime(match[1]!) };
}

const isFile = (v: unknown): v is string =>
  typeof v === "string" && v.startsWith("data:") && decodeDataUrl(v) !== undefined;

/** `-o NAME` or `output`; a folder (existing, or written with a trailing slash) gets `fallback` inside it. */
function destination(cwd: string, outputPath: string | undefined, fallback: string): string {
  if (!outputPath) return fallback;
  const isFolder =
    /[\\/]$/.test(outputPath) ||
    (existsSync(resolve(cwd, outputPath)) && statSync(resolve(cwd, outputPath)).isDirectory());
  return isFolder ? join(outputPath, fallback) : outputPath;
}

/** `output` + the MIME type's extension; a name with its own extension keeps it (`.0` of a list item is no extension). */
function withExtension(name: string, extension: string): string {
  const own = extname(name);
  return own && !/^\.\d+$/.test(own) ? name : `${name}${extension}`;
}

/** `output.png` → `output.3.png`, `output` → `output.3`: the name of item `i` of a list of files. */
function itemName(name: string, i: number): string {
  const own = extname(name);
  return own && !/^\.\d+$/.test(own) ? `${name.slice(0, -own.length)}.${i}${own}` : `${name}.${i}`;
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

export interface WriteOptions {
  cwd: string;
  /** `-o`: the name of the file (or of the files of a list), or the text/JSON destination. */
  outputPath?: string;
  /** The output schema's `x-cog-array-display: concatenate`: a list of strings printed as one text. */
  concatenate?: boolean;
  /** Write files only (`--json`, which prints the rest itself). */
  filesOnly?: boolean;
}

export interface WrittenOutputs {
  /** Text for stdout, when the output is not written to a file. */
  printed?: string;
  /** The files written, as the user named them (relative to the working directory unless `-o` was absolute). */
  files: string[];
  /** The output with each file replaced by the path it was written to (what `--json` prints). */
  output: unknown;
}

/**
 * Writes file outputs (data URLs) to disk and returns what to print: a file, a list of files, an object whose
 * fields are files (each named after its field: a training's `weights` → `weights.bin`); text and other values
 * are printed, or written to `-o` when it is given.
 */
export function writeOutputs(output: unknown, options: WriteOptions): WrittenOutputs {
  const files: string[] = [];
  const save = (url: string, name: string): string => {
    const decoded = decodeDataUrl(url)!;
    const shown = withExtension(name, decoded.extension);
    writeOutputFile(resolve(options.cwd, shown), decoded.bytes);
    files.push(shown);
    return shown;
  };
  if (isFile(output)) {
    const path = save(output, destination(options.cwd, options.outputPath, "output"));
    return { files, output: path };
  }
  if (Array.isArray(output) && output.length > 0 && output.every(isFile)) {
    const base = destination(options.cwd, options.outputPath, "output");
    return { files, output: output.map((url, i) => save(url, itemName(base, i))) };
  }
  if (output !== null && typeof output === "object" && !Array.isArray(output) && Object.values(output).some(isFile)) {
    const folder = options.outputPath ? dirname(destination(options.cwd, options.outputPath, "output")) : "";
    const replaced = Object.fromEntries(
      Object.entries(output).map(([key, value]) => [
        key,
        isFile(value) ? save(value, folder ? join(folder, key) : key) : value,
      ]),
    );
    return { files, printed: JSON.stringify(replaced, null, 2), output: replaced };
  }
  if (options.filesOnly) return { files, output };
  let text: string;
  if (options.concatenate && Array.isArray(output) && output.every((v) => typeof v === "string"))
    text = output.join("");
  else text = typeof output === "string" ? output : JSON.stringify(output, null, 2);
  if (options.outputPath) {
    const isText = typeof output === "string" || options.concatenate === true;
    const shown = destination(options.cwd, options.outputPath, isText ? "output.txt" : "output.json");
    writeOutputFile(resolve(options.cwd, shown), text);
    files.push(shown);
    return { files, output };
  }
  return { printed: text, files, output };
}

/** Writes `text` (the `--json` document) to `-o`; returns the path as the user gave it. */
export function writeJsonDocument(text: string, options: { cwd: string; outputPath: string }): string {
  const shown = destination(options.cwd, options.outputPath, "output.json");
  writeOutputFile(resolve(options.cwd, shown), text);
  return shown;
}
