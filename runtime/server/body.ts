/**
 * Request bodies (docs/spec/cog-contract.md §4.3): which POSTs and PUTs may carry one, and reading them within a limit per
 * request and a budget shared by every body being read at once.
 *
 *   const bodies = new BodyReader();
 *   const refusal = refuseContentType(req); // 415 for a text/plain POST a web page could send cross-site
 *   bodies.read(req, (raw) => parse(raw), (refusal) => answer(refusal));
 */
import type { IncomingMessage } from "node:http";
import { httpErrors, type ErrorReply } from "./errors.js";

/** Cog's limit for one body. */
const BODY_LIMIT = 100 * 1024 * 1024;
/**
 * Bytes of bodies buffered at once across all requests: one body of the largest size with room for small ones
 * beside it. Only one prediction per free slot can be admitted anyway; two concurrent 95 MB bodies used to take the
 * server past its memory (each is held as bytes, text and parsed value at once).
 */
const BODY_BUDGET = BODY_LIMIT + 28 * 1024 * 1024;

/** An answer that refuses a request before it reaches a prediction (its body and status are in errors.ts). */
export type Refusal = ErrorReply;

const tooLarge = (limit: number): Refusal => httpErrors.bodyTooLarge(limit);
const overBudget = (): Refusal => httpErrors.bodiesOverBudget();

/** `application/json` or a `+json` type, with any parameters (`application/json; charset=utf-8`). */
function isJsonMediaType(header: string): boolean {
  const semicolon = header.indexOf(";");
  const type = (semicolon < 0 ? header : header.slice(0, semicolon)).trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/**
 * Why a POST or PUT is refused for its declared type, or undefined when it is taken. A web page can send a
 * cross-site POST without a CORS preflight only as a form or with a text/plain (or no) type: requiring JSON keeps
 * a page from starting predictions or stopping the server. A request with no type at all is taken, as Cog takes
 * it (curl and Cog's own clients send bodies and empty POSTs so), unless a browser sent it: browsers always send
 * `Origin` (and `Sec-Fetch-Site`) with a POST, and can leave out the type (a Blob body, or no body).
 */
export function refuseContentType(req: IncomingMessage): Refusal | undefined {
  const type = req.headers["content-type"];
  if (type === "application/json") return undefined;
  if (type === undefined) {
    const site = req.headers["sec-fetch-site"];
    if (req.headers.origin === undefined && (site === undefined || site === "same-origin" || site === "none"))
      return undefined;
    return httpErrors.notJsonFromPage();
  }
  if (isJsonMediaType(type)) return undefined;
  return httpErrors.notJson(type);
}

/** Reads whole request bodies, each within BODY_LIMIT and all together within BODY_BUDGET. */
export class BodyReader {
  /** Bytes of bodies being read now, reserved from their Content-Length or counted as they arrive. */
  private inFlight = 0;

  constructor(
    readonly limit = BODY_LIMIT,
    readonly budget = BODY_BUDGET,
  ) {}

  get bytesInFlight(): number {
    return this.inFlight;
  }

  /**
   * Calls `done` with the whole body, or `refuse` with a 413 (the rest of the body is then discarded and the
   * connection closed after the answer). A client that goes away mid-body gets neither.
   */
  read(req: IncomingMessage, done: (raw: Buffer) => void, refuse: (refusal: Refusal) => void): void {
    const declared = req.headers["content-length"];
    let reserved = 0;
    if (declared !== undefined) {
      const length = Number(declared);
      if (length > this.limit) return this.discard(req, refuse, tooLarge(this.limit));
      if (length > 0 && this.inFlight + length > this.budget) return this.discard(req, refuse, overBudget());
      reserved = length;
      this.inFlight += length;
    }
    // A declared large body is copied into one buffer as it comes: no list of chunks and a concatenated copy at once.
    let whole = reserved > 65536 ? Buffer.allocUnsafe(reserved) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let open = true;
    const release = () => {
      if (!open) return false;
      open = false;
      this.inFlight -= reserved;
      return true;
    };
    req.on("data", (chunk: Buffer) => {
      if (!open) return;
      if (size + chunk.length > reserved) {
        // No Content-Length (chunked): the body reserves its bytes as they arrive.
        const extra = size + chunk.length - reserved;
        if (size + chunk.length > this.limit || this.inFlight + extra > this.budget) {
          const refusal = size + chunk.length > this.limit ? tooLarge(this.limit) : overBudget();
          release();
          whole = undefined;
          chunks.length = 0;
          return this.discard(req, refuse, refusal);
        }
        this.inFlight += extra;
        reserved += extra;
      }
      if (whole) chunk.copy(whole, size);
      else chunks.push(chunk);
      size += chunk.length;
    });
    req.on("end", () => {
      if (!release()) return;
      const body = whole ? whole.subarray(0, size) : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      // Nothing here holds the chunks any more: they can be collected while the body is parsed.
      chunks.length = 0;
      whole = undefined;
      done(body);
    });
    // A client that goes away mid-body gets no answer (its socket is already closed), and frees its share.
    req.on("error", () => undefined);
    req.on("close", () => void release());
  }

  private discard(req: IncomingMessage, refuse: (refusal: Refusal) => void, refusal: Refusal): void {
    req.removeAllListeners("data");
    req.resume();
    refuse(refusal);
  }
}
