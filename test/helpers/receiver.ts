/**
 * A receiver on 127.0.0.1 for what a server under test sends out: webhooks (POST), file uploads (PUT) and input
 * file downloads (GET). It keeps every request, answers as `respond` says, and can wait for a condition.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";

export interface Received {
  method: string;
  /** The request target (path and query). */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON, when it is JSON. */
  json?: Record<string, unknown>;
  /** Date.now() when the request had arrived in full. */
  at: number;
}

export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  server: Server;
  close(): Promise<void>;
  /** Resolves once `predicate(received)` holds; throws after `timeoutMs`, naming `what` and what did arrive. */
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** The JSON bodies POSTed for prediction `id` (its webhooks), in arrival order. */
  webhooks(id: string): Record<string, unknown>[];
}

/** Starts a receiver; `respond` decides the answer per request (default 200, empty). */
export async function startReceiver(
  respond: (r: Received) => ReceiverAnswer = () => ({ status: 200 }),
): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const entry: Received = { method: req.method!, url: req.url!, headers: req.headers, body, at: Date.now() };
      try {
        entry.json = JSON.parse(body.toString()) as Record<string, unknown>;
      } catch {
        /* an upload, a download or another non-JSON body */
      }
      received.push(entry);
      const answer = respond(entry);
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    async waitFor(predicate, timeoutMs = 15_000, what = "condition") {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline)
          throw new Error(
            `receiver: ${what} not met; got ${JSON.stringify(received.map((r) => r.json ?? `${r.method} ${r.url}`))}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    webhooks: (id) => received.filter((r) => r.method === "POST" && r.json?.id === id).map((r) => r.json!),
  };
}
