/**
 * Files in (docs/spec/cog-contract.md §4.8): `Path` inputs given as http(s) or data URLs are fetched into a per-prediction
 * directory. File outputs: output-files.ts.
 */
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { extname, isAbsolute, join, resolve as resolvePath } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ParameterPlan } from "../protocol/index.js";

/**
 * A problem with an input file: the prediction fails with this message. `download`: the file could not be fetched
 * (network error, timeout, an HTTP error status), which Cog 0.22 answers as a failed prediction (200 for a sync
 * request); otherwise the value itself is refused (not a URL, a local path, a malformed data URL, over the limit
 * for input files), a 422 for a sync request.
 */
export class InputFileError extends Error {
  constructor(
    message: string,
    readonly download = false,
  ) {
    super(message);
  }
}

export interface DownloadLimits {
  /** Bytes of all the input files of one request together (COGTS_MAX_INPUT_FILE_BYTES). */
  maxBytes: number;
  timeoutMs: number;
  userAgent: string;
  /** Accept plain local paths (only for `cog run --no-docker` on the author's own machine). */
  allowLocalPaths: boolean;
}

const MIME_BY_EXTENSION: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".bmp": "image/bmp",
  ".svg": "image/svg+xml",
  ".tif": "image/tiff",
  ".tiff": "image/tiff",
  ".ico": "image/x-icon",
  ".txt": "text/plain",
  ".csv": "text/csv",
  ".html": "text/html",
  ".htm": "text/html",
  ".md": "text/markdown",
  ".json": "application/json",
  ".xml": "application/xml",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
  ".gz": "application/gzip",
  ".tar": "application/x-tar",
  ".wav": "audio/wav",
  ".mp3": "audio/mpeg",
  ".ogg": "audio/ogg",
  ".flac": "audio/flac",
  ".m4a": "audio/mp4",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".mov": "video/quicktime",
  ".avi": "video/x-msvideo",
  ".js": "text/javascript",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".npy": "application/octet-stream",
  ".safetensors": "application/octet-stream",
};
// Bytes of no known type get no extension (not ".npy", the last octet-stream one in the table above).
const EXTENSION_BY_MIME: Record<string, string> = Object.fromEntries(
  Object.entries(MIME_BY_EXTENSION)
    .reverse()
    .filter(([, mime]) => mime !== "application/octet-stream")
    .map(([ext, mime]) => [mime, ext]),
);

export function mimeTypeOf(name: string): string {
  return MIME_BY_EXTENSION[extname(name).toLowerCase()] ?? "application/octet-stream";
}

/** A file name that cannot escape its directory: no separators, no NUL, no leading dots, at most 200 bytes. */
export function safeFileName(raw: string): string {
  let name = raw.replace(/[/\\\u0000-\u001f]/g, "_").replace(/^\.+/, "");
  while (Buffer.byteLength(name) > 200) name = name.slice(1);
  return name || "file";
}

function nameFromUrl(url: URL): string {
  let last = url.pathname.split("/").filter(Boolean).pop() ?? "";
  try {
    last = decodeURIComponent(last);
  } catch {
    /* keep it encoded */
  }
  return safeFileName(last);
}

/** What is left of a request's allowance for input files, shared by its downloads. */
interface Allowance {
  left: number;
}

function overLimit(what: string, limits: DownloadLimits): InputFileError {
  return new InputFileError(
    `${what} takes the input files of this request past the ${limits.maxBytes}-byte limit for input files`,
  );
}

async function download(
  url: string,
  directory: string,
  limits: DownloadLimits,
  allowance: Allowance,
  canceled?: AbortSignal,
): Promise<string> {
  if (url.startsWith("data:")) return decodeDataUrl(url, directory, limits, allowance);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputFileError(`invalid file URL: ${url.slice(0, 200)}`);
  }
  const target = join(directory, nameFromUrl(parsed));
  let response: Response;
  try {
    response = await fetch(parsed, {
      headers: { "user-agent": limits.userAgent },
      // A cancel stops the download too, not only the prediction that would have followed it.
      signal: canceled
        ? AbortSignal.any([AbortSignal.timeout(limits.timeoutMs), canceled])
        : AbortSignal.timeout(limits.timeoutMs),
      redirect: "follow",
    });
  } catch (error) {
    throw new InputFileError(`could not download ${parsed.href}: ${(error as Error).message}`, true);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new InputFileError(`could not download ${parsed.href}: HTTP ${response.status}`, true);
  }
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > allowance.left) {
    await response.body.cancel().catch(() => undefined);
    throw overLimit(parsed.href, limits);
  }
  // Counted as the bytes arrive, against what the request's other files left: a limit per file let one request
  // with many files fill the disk.
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      allowance.left -= chunk.length;
      if (allowance.left < 0) callback(overLimit(parsed.href, limits));
      else callback(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(response.body as import("node:stream/web").ReadableStream),
      limiter,
      createWriteStream(target),
    );
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw new InputFileError(`could not download ${parsed.href}: ${(error as Error).message}`, true);
  }
  return target;
}

async function decodeDataUrl(
  url: string,
  directory: string,
  limits: DownloadLimits,
  allowance: Allowance,
): Promise<string> {
  const comma = url.indexOf(",");
  if (comma < 0) throw new InputFileError("invalid data URL: no comma");
  const meta = url.slice(5, comma).split(";");
  const mime = (meta[0] || "text/plain").toLowerCase();
  // `name=photo.png` (what `cog run` sends): the predictor gets the file under its own name, as with --no-docker.
  const nameParameter = meta
    .slice(1)
    .find((part) => part.toLowerCase().startsWith("name="))
    ?.slice(5);
  const isBase64 = meta.slice(1).some((part) => part.toLowerCase() === "base64");
  const payload = url.slice(comma + 1);
  let bytes: Buffer;
  if (isBase64) {
    if (!/^[A-Za-z0-9+/=_\-\s]*$/.test(payload)) throw new InputFileError("invalid data URL: bad base64");
    bytes = Buffer.from(payload, "base64");
  } else {
    try {
      bytes = Buffer.from(decodeURIComponent(payload), "utf8");
    } catch {
      throw new InputFileError("invalid data URL: bad percent-encoding");
    }
  }
  allowance.left -= bytes.length;
  if (allowance.left < 0) throw overLimit("a data URL", limits);
  let name = "";
  try {
    name = nameParameter ? safeFileName(decodeURIComponent(nameParameter)) : "";
  } catch {
    // A malformed name is no reason to refuse the file.
  }
  const target = join(directory, name || `file${EXTENSION_BY_MIME[mime] ?? ""}`);
  await writeFile(target, bytes);
  return target;
}

async function fetchOne(
  value: unknown,
  directory: string,
  limits: DownloadLimits,
  allowance: Allowance,
  canceled?: AbortSignal,
): Promise<unknown> {
  if (typeof value !== "string") return value;
  if (/^https?:\/\//i.test(value) || value.startsWith("data:")) {
    await mkdir(directory, { recursive: true });
    return download(value, directory, limits, allowance, canceled);
  }
  if (limits.allowLocalPaths) return isAbsolute(value) ? value : resolvePath(value);
  throw new InputFileError(
    `${JSON.stringify(value.slice(0, 200))} is not an http://, https:// or data: URL; files must be sent as URLs`,
  );
}

/** Replaces the URL of every `Path` input with the local file it was fetched to. */
export async function fetchInputFiles(
  input: Record<string, unknown>,
  parameters: readonly ParameterPlan[],
  directory: string,
  limits: DownloadLimits,
  /** Aborts the downloads in progress (the prediction was canceled). */
  canceled?: AbortSignal,
): Promise<Record<string, unknown>> {
  const out = { ...input };
  const allowance: Allowance = { left: limits.maxBytes };
  let index = 0;
  const jobs: Promise<void>[] = [];
  for (const plan of parameters) {
    if (plan.kind !== "path" || out[plan.name] === undefined || out[plan.name] === null) continue;
    const value = out[plan.name];
    if (plan.array && Array.isArray(value)) {
      const items = [...value];
      out[plan.name] = items;
      items.forEach((item, i) => {
        const dir = join(directory, String(index++));
        jobs.push(fetchOne(item, dir, limits, allowance, canceled).then((path) => void (items[i] = path)));
      });
    } else {
      const dir = join(directory, String(index++));
      jobs.push(fetchOne(value, dir, limits, allowance, canceled).then((path) => void (out[plan.name] = path)));
    }
  }
  const results = await Promise.allSettled(jobs);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason instanceof InputFileError ? failed.reason : new InputFileError(String(failed.reason));
  return out;
}
