/**
 * Parsing a prediction request (docs/spec/cog-contract.md §4.3, §4.4): the JSON body read by body.ts becomes the fields
 * Cog takes (`input`, `id`, `webhook`, `webhook_events_filter`, `context`), each of a checked shape, or an
 * HttpError from errors.ts (400 not JSON, 413 too many values, 422 a field of the wrong shape).
 */
import type { IncomingMessage } from "node:http";
import { checkJsonShape } from "./json-shape.js";
import { HttpError, httpErrors } from "./errors.js";
import { WEBHOOK_EVENTS, type WebhookEvent } from "./webhook.js";
import type { ValidationDetail } from "../validate.js";

/** The request fields besides `input` that have a shape to check (422 `detail` entries when wrong). */
const REQUEST_FIELD_CHECKS: { key: string; ok: (value: unknown) => boolean; msg: string }[] = [
  {
    key: "id",
    ok: (v) => typeof v === "string" && v.length > 0 && v.length <= 1024,
    msg: "id must be a non-empty string",
  },
  {
    key: "webhook",
    ok: (v) => typeof v === "string" && /^https?:\/\//i.test(v) && v.length <= 65536,
    msg: "webhook must be an http(s) URL",
  },
  {
    key: "webhook_events_filter",
    ok: (v) => Array.isArray(v) && v.every((e) => WEBHOOK_EVENTS.includes(e as WebhookEvent)),
    msg: `webhook_events_filter must be a list of ${WEBHOOK_EVENTS.join(", ")}`,
  },
  {
    key: "context",
    ok: (v) =>
      typeof v === "object" &&
      !Array.isArray(v) &&
      Object.values(v as object).every((item) => typeof item === "string"),
    msg: "context must be an object of strings",
  },
];

const BODY_SIZE = Symbol("bodySize");

/** A parsed request body: the JSON object as sent (its fields checked by shape, `input` not yet validated). */
export type RequestBody = Record<string, unknown>;

/** Bytes of the body a request was parsed from (0 for an empty body). */
export function bodySize(body: RequestBody): number {
  return (body as { [BODY_SIZE]?: number })[BODY_SIZE] ?? 0;
}

/** Parses a request body; an empty body or `null` is `{}`. Throws HttpError for what Cog refuses. */
export function parseRequest(raw: Buffer): RequestBody {
  // Each level takes an opening and a closing bracket, so only a long body can be nested too deeply.
  const shape = raw.length > 1024 ? checkJsonShape(raw) : undefined;
  if (shape?.status === 413) throw new HttpError(httpErrors.bodyTooManyValues(shape.message));
  if (shape) throw new HttpError(httpErrors.bodyShape(shape.message));
  const text = raw.toString("utf8").trim();
  if (text === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new HttpError(httpErrors.invalidJson((error as Error).message));
  }
  if (body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) throw new HttpError(httpErrors.bodyNotObject());
  const object = body as Record<string | symbol, unknown>;
  object[BODY_SIZE] = raw.length;
  const problems: ValidationDetail[] = [];
  for (const { key, ok, msg } of REQUEST_FIELD_CHECKS) {
    const value = object[key];
    if (value !== undefined && value !== null && !ok(value))
      problems.push({ loc: ["body", key], msg, type: "value_error" });
  }
  if (problems.length > 0) throw new HttpError(httpErrors.invalidInput(problems));
  return object;
}

export function wantsSse(req: IncomingMessage): boolean {
  return String(req.headers.accept ?? "").includes("text/event-stream");
}

let lastIdNanos = 0n;
/** A prediction id for a request without one: `pred_` and the time in nanoseconds, in hex, never repeated. */
export function newId(): string {
  let nanos = BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor((performance.now() % 1) * 1_000_000));
  if (nanos <= lastIdNanos) nanos = lastIdNanos + 1n;
  lastIdNanos = nanos;
  return `pred_${nanos.toString(16)}`;
}
