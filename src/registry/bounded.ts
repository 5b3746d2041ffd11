/**
 * What cogts reads from registries and token servers, bounded: answer bodies up to a size, addresses only http(s).
 */
import type { Dispatcher } from "undici";
import { UserError } from "../errors.js";

/**
 * Registry answers cogts reads into memory: error bodies, tokens, upload answers, manifests (distribution-spec
 * asks registries to accept manifests up to 4 MiB) and image configs. Blobs are never read this way.
 */
export const MAX_RESPONSE_BYTES = 8 << 20;
/** Of an error answer only the start is kept (the message shows 200 characters of it). */
export const MAX_ERROR_BODY_BYTES = 64 << 10;
/** Redirects followed for a GET or HEAD (a registry may send blob reads to its storage). */
export const MAX_REDIRECTS = 5;

/**
 * Reads an answer body up to `limit` bytes. Past it the body is abandoned (the connection closes) and, unless
 * `truncate`, that is an error: a registry or a token server sending an endless body cannot grow cogts's memory.
 */
export async function readBounded(
  body: Dispatcher.ResponseData["body"],
  limit: number,
  what: string,
  truncate = false,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const room = limit - size;
    if (chunk.length > room) {
      body.destroy();
      if (truncate) {
        chunks.push(chunk.subarray(0, room));
        break;
      }
      throw new UserError(
        `${what}: the answer is larger than ${limit} bytes, more than a registry sends here; cogts stopped reading it.`,
      );
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** An address the registry handed over (upload Location, redirect, token realm) must be http or https. */
export function requireHttpUrl(url: URL, what: string, who: string): void {
  if (url.protocol === "http:" || url.protocol === "https:") return;
  throw new UserError(
    `${what}: ${who} sent the address ${JSON.stringify(url.href.slice(0, 200))}, which is not http or https; cogts only follows http and https addresses.`,
  );
}
