/** Writing JSON answers; the one place the server sets a JSON response's headers. */
import type { ServerResponse } from "node:http";
import type { ErrorReply } from "./errors.js";

export function json(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  const head: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  };
  if (headers) Object.assign(head, headers);
  // writeHead + a string end() leave in one write: node:http prepends the header block to a string body.
  res.writeHead(status, head);
  res.end(text);
}

/** Answers with an entry of the error catalogue. */
export function replyError(res: ServerResponse, error: ErrorReply): void {
  json(res, error.status, error.body, error.headers);
}
