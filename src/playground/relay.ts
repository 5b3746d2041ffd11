/**
 * Live logs for predictions that do not stream: the page asks the model server to send `start` and `logs` webhooks
 * to the playground, which passes each on to the page over server-sent events. Only what the page shows (status,
 * logs, metrics) is passed on, not the whole prediction (its input may hold large data: URLs).
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** What the page generates: 128 random bits in hex, prefixed. */
export const TOKEN = /^[A-Za-z0-9_-]{16,80}$/;
/** A webhook carries the prediction's input too: room for a few files given as data: URLs. */
const MAX_WEBHOOK_BYTES = 64 * 1024 * 1024;
const KEEPALIVE_MS = 15_000;

export class WebhookRelay {
  private readonly pages = new Map<string, Set<ServerResponse>>();

  /** GET /events/TOKEN: the page listens for its prediction's webhooks. */
  subscribe(req: IncomingMessage, res: ServerResponse, token: string, headers: Record<string, string>): void {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...headers });
    res.write(": listening\n\n");
    let set = this.pages.get(token);
    if (!set) this.pages.set(token, (set = new Set()));
    set.add(res);
    const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
    req.on("close", () => {
      clearInterval(keepalive);
      set.delete(res);
      if (set.size === 0) this.pages.delete(token);
    });
  }

  /** POST /webhook/TOKEN from the model server; always 200 for a readable body, so nothing is retried for a closed tab. */
  receive(req: IncomingMessage, res: ServerResponse, token: string): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_WEBHOOK_BYTES) {
        res.writeHead(413, { "content-type": "application/json" }).end('{"error":"webhook body too large"}');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      let prediction: Record<string, unknown>;
      try {
        prediction = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      } catch {
        res.writeHead(400, { "content-type": "application/json" }).end('{"error":"not JSON"}');
        return;
      }
      const { status, logs, metrics } = prediction;
      const event = `data: ${JSON.stringify({ status, logs, metrics })}\n\n`;
      for (const page of this.pages.get(token) ?? []) page.write(event);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  }

  close(): void {
    for (const set of this.pages.values()) for (const page of set) page.end();
    this.pages.clear();
  }
}
