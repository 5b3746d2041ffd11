/**
 * Every answer of the prediction server that is not a prediction, in one place: a stable code, the status, the body
 * and which definition of schemas/http-error.schema.json it is (errors.test.ts checks each one against it). Routes
 * and the prediction service name the code; nothing else writes these bodies, so a message changes here or nowhere.
 *
 *   throw new HttpError(httpErrors.atCapacity());
 *   json(res, reply.status, reply.body, reply.headers);
 */
import type { ValidationDetail } from "../validate.js";

/** The definition of schemas/http-error.schema.json a body matches; `validation` is validation-error.schema.json. */
export type ErrorSchema =
  | "notReady"
  | "atCapacity"
  | "notStreaming"
  | "empty"
  | "notFound"
  | "methodNotAllowed"
  | "schemaNotAvailable"
  | "requestRejected"
  | "validation"
  /** Answers outside the schema file (the 500 of a server bug, the 404 of the wrong --x-mode). */
  | "unlisted";

export interface ErrorReply<Code extends string = string> {
  code: Code;
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  schema: ErrorSchema;
}

const reply = <Code extends string>(
  code: Code,
  status: number,
  schema: ErrorSchema,
  body: Record<string, unknown>,
  headers?: Record<string, string>,
): ErrorReply<Code> => (headers ? { code, status, schema, body, headers } : { code, status, schema, body });

const validation = (detail: ValidationDetail[]) => ({ detail });

/** The catalogue: one function per code, taking what its message names. */
export const httpErrors = {
  // Admission (docs/spec/cog-contract.md §4.4): the refusals of PredictionService.admit.
  notReady: () =>
    reply("notReady", 503, "notReady", {
      error: "Setup has not finished yet. Wait until it has finished, or GET /health-check for status.",
      status: "failed",
    }),
  atCapacity: () =>
    reply("atCapacity", 409, "atCapacity", { error: "At capacity - all prediction slots busy", status: "failed" }),
  duplicateId: (id: string) =>
    reply("duplicateId", 409, "atCapacity", {
      error: `a prediction with id ${JSON.stringify(id)} is already running`,
      status: "failed",
    }),
  idMismatch: (noun: "prediction" | "training") =>
    reply(
      "idMismatch",
      422,
      "validation",
      validation([
        { loc: ["body", "id"], msg: `${noun} ID must match the ID supplied in the URL`, type: "value_error" },
      ]),
    ),
  invalidInput: (detail: ValidationDetail[]) => reply("invalidInput", 422, "validation", validation(detail)),
  wrongMode: (served: string, asked: string, flag: string) =>
    reply("wrongMode", 404, "unlisted", {
      detail: `this server runs ${served}; start it with ${flag} to run ${asked}`,
    }),

  // Streaming (§4.7).
  modelNotStreaming: () =>
    reply("modelNotStreaming", 406, "notStreaming", {
      error:
        "This model does not support streaming responses. Make predict() an iterator (async *predict) to enable SSE.",
    }),
  trainingNotStreaming: () =>
    reply("trainingNotStreaming", 406, "notStreaming", {
      error: "Training endpoints do not support streaming responses.",
    }),
  tooManySubscribers: () =>
    reply("tooManySubscribers", 429, "requestRejected", { error: "Too many stream subscribers" }),

  // Routing.
  notFound: () => reply("notFound", 404, "notFound", { detail: "Not Found" }),
  // RFC 9110 §15.5.6: a 405 names the methods the path does take.
  methodNotAllowed: (allowed: string[]) =>
    reply("methodNotAllowed", 405, "methodNotAllowed", { detail: "Method Not Allowed" }, { allow: allowed.join(", ") }),
  schemaNotAvailable: () =>
    reply("schemaNotAvailable", 503, "schemaNotAvailable", { error: "OpenAPI schema not available" }),
  badPercentEncoding: () =>
    reply("badPercentEncoding", 400, "requestRejected", { error: "invalid percent-encoding in the prediction id" }),
  cancelUnknown: () => reply("cancelUnknown", 404, "empty", {}),

  // Request bodies (§4.3, body.ts).
  invalidJson: (reason: string) =>
    reply("invalidJson", 400, "requestRejected", { error: `invalid JSON in request body: ${reason}` }),
  bodyNotObject: () =>
    reply(
      "bodyNotObject",
      422,
      "validation",
      validation([{ loc: ["body"], msg: "the request body must be a JSON object", type: "value_error" }]),
    ),
  bodyShape: (message: string) =>
    reply("bodyShape", 422, "validation", validation([{ loc: ["body"], msg: message, type: "value_error" }])),
  bodyTooManyValues: (message: string) => reply("bodyTooManyValues", 413, "requestRejected", { error: message }),
  bodyTooLarge: (limit: number) =>
    reply(
      "bodyTooLarge",
      413,
      "requestRejected",
      { error: `request body is larger than ${limit} bytes` },
      { connection: "close" },
    ),
  // RFC 9110 §15.5.14: a temporary 413 says when to come back.
  bodiesOverBudget: () =>
    reply(
      "bodiesOverBudget",
      413,
      "requestRejected",
      { error: "the server is reading too many large request bodies at once; retry shortly" },
      { connection: "close", "retry-after": "1" },
    ),
  notJsonFromPage: () =>
    reply("notJsonFromPage", 415, "requestRejected", {
      error: 'a request from a web page must send its body as JSON, with "Content-Type: application/json"',
    }),
  notJson: (type: string) =>
    reply("notJson", 415, "requestRejected", {
      error: `request bodies must be JSON, sent with "Content-Type: application/json" (not ${JSON.stringify(type.slice(0, 100))})`,
    }),

  internal: () => reply("internal", 500, "unlisted", { error: "internal server error" }),
} as const;

/** An error reply thrown (or rejected with) by a step of handling a request; routes answer it as it is. */
export class HttpError extends Error {
  constructor(readonly reply: ErrorReply) {
    super(`HTTP ${reply.status} ${reply.code}`);
  }
}
