/**
 * Replays requests recorded from Cog's server against the cogts server process running a TypeScript twin of the
 * recorded predictor (test/conformance/predictors/<name>), and receives its webhooks, uploads and input-file
 * downloads on 127.0.0.1.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { contractForResponse, expectMatchesContract } from "../helpers/contract.js";
import { startServerIn, type RunningServer } from "../server/helpers.js";
import { readTranscripts, type Exchange, type Transcript } from "../helpers/transcripts.js";
import { startReceiver, type Received } from "../helpers/receiver.js";

export const PREDICTORS = join(dirname(fileURLToPath(import.meta.url)), "predictors");

let transcripts: Transcript[] | undefined;
/** The recorded exchange `number` of transcript `prefix` ("01" … "07"). */
export function recorded(prefix: string, number: number): Exchange {
  transcripts ??= readTranscripts();
  const transcript = transcripts.find((t) => t.file.startsWith(prefix));
  const found = transcript?.exchanges.find((e) => e.number === number);
  if (!found) throw new Error(`no recorded exchange ${prefix} [${number}]`);
  return found;
}

/** Received webhooks of the recording for a prediction id, in arrival order. */
export function recordedWebhooks(prefix: string, id: string): unknown[] {
  transcripts ??= readTranscripts();
  const transcript = transcripts.find((t) => t.file.startsWith(prefix))!;
  return transcript.receivers
    .flatMap((b) => b.requests)
    .filter((r) => r.method === "POST" && (r.json as { id?: string } | undefined)?.id === id)
    .map((r) => r.json);
}

export type Served = RunningServer;

/**
 * Starts the real server over predictors/<name> and waits until it listens (not until READY). With
 * COGTS_CONFORMANCE_PYTHON=1 (test/python/conformance.test.ts), a predictor whose Python original was recorded
 * (fixtures/predictors-python/<name>) is served from that predict.py by the Python worker instead of its twin.
 */
export async function serve(
  name: string,
  options: { env?: Record<string, string>; args?: string[] } = {},
): Promise<Served> {
  const original = join(PREDICTORS, "..", "..", "..", "fixtures", "predictors-python", name);
  if (process.env.COGTS_CONFORMANCE_PYTHON === "1" && existsSync(join(original, "predict.py"))) {
    const { schemaFileOf } = await import("../python/helpers.js");
    const { file, ref } = await schemaFileOf(original);
    return startServerIn(original, {
      ...options,
      ref,
      env: { COG_OPENAPI_SCHEMA: file, ...options.env },
      waitFor: null,
    });
  }
  return startServerIn(join(PREDICTORS, name), { ...options, waitFor: null });
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json?: unknown;
}

const RECORDED_HOSTS = /http:\/\/127\.0\.0\.1:52\d\d/g;
const FORWARDED = ["content-type", "prefer", "traceparent", "tracestate", "accept"];

/**
 * Sends the recorded request to `server`: same method, path, body and meaningful headers; URLs of the
 * recorder's receiver (127.0.0.1:52xx) point at `receiver` instead.
 */
export async function replay(
  server: Served,
  exchange: Exchange,
  options: { receiver?: string; body?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED) if (exchange.request.headers[name]) headers[name] = exchange.request.headers[name];
  let body = options.body !== undefined ? JSON.stringify(options.body) : exchange.request.body;
  if (body !== undefined && options.receiver) body = body.replace(RECORDED_HOSTS, options.receiver);
  const answer = await send(server.url, exchange.request.method, exchange.request.path, body, headers);
  // Whatever a test then checks, every answer must fit the schema its route and status call for.
  const ref = contractForResponse({
    method: exchange.request.method,
    path: exchange.request.path,
    status: answer.status,
    requestHeaders: headers,
    body: answer.json,
  });
  if (ref)
    expectMatchesContract(
      ref,
      answer.json,
      `${exchange.request.method} ${exchange.request.path} (HTTP ${answer.status})`,
    );
  return answer;
}

export async function send(
  base: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  // fetch gives a string body "text/plain;charset=UTF-8" of its own: a request recorded without a Content-Type
  // (exchange [15]) goes as bytes, which fetch sends untyped, as the recorder did.
  const typed = Object.keys(headers).some((name) => name.toLowerCase() === "content-type");
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body !== undefined && !typed ? Buffer.from(body) : body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, headers: response.headers, text, json };
}

export type Hit = Received;

/**
 * The recorder's receiver: serves input files (GET /in/<name> from `files`, 404 otherwise), accepts uploads
 * (PUT, 200) and webhooks (POST, 200), and keeps every request.
 */
export async function receiver(files: Record<string, string> = {}): Promise<{
  url: string;
  hits: Hit[];
  webhooks(id: string): Record<string, unknown>[];
  waitFor(predicate: (hits: Hit[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}> {
  const started = await startReceiver((hit) => {
    if (hit.method !== "GET") return { status: 200 };
    const file = files[hit.url.replace(/^\/in\//, "")];
    return {
      status: file === undefined ? 404 : 200,
      headers: { "content-type": "application/octet-stream" },
      body: file,
    };
  });
  return {
    url: started.url,
    hits: started.received,
    webhooks: started.webhooks,
    waitFor: (predicate, what, timeoutMs = 20_000) => started.waitFor(predicate, timeoutMs, what),
    close: started.close,
  };
}

export const isTerminal = (body: Record<string, unknown> | undefined): boolean =>
  ["succeeded", "failed", "canceled"].includes(body?.status as string);

/** The `loc`s of a 422 body's detail list. */
export function locs(body: unknown): unknown[][] {
  return ((body as { detail?: { loc: unknown[] }[] })?.detail ?? []).map((d) => d.loc);
}
