/**
 * Server-sent events of one prediction (docs/spec/cog-contract.md §4.7): `start`, `output`, `log`, `metric` and a final
 * `completed` with the prediction's state, each as `event: NAME\ndata: JSON\n\n`; a comment every 15 s keeps
 * proxies from closing an idle stream.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Prediction, PredictionEvent } from "./prediction.js";
import { httpErrors } from "./errors.js";
import { json } from "./reply.js";

const MAX_SUBSCRIBERS = 1024;
const KEEP_ALIVE_MS = 15_000;

interface StreamOptions {
  /** Replay the prediction's history first (the request that created it, or an idempotent PUT). */
  replay: boolean;
  /** COG_STREAM_HISTORY_CAPACITY: also how far a subscriber that does not read may lag. */
  historyCapacity: number;
  /** Called when the last subscriber of a prediction it owns goes away before the prediction ended. */
  abandoned: () => void;
}

/** Answers `res` with the prediction's events as they come, until it completes or the client goes away. */
export function streamEvents(
  req: IncomingMessage,
  res: ServerResponse,
  prediction: Prediction,
  options: StreamOptions,
): void {
  req.resume();
  if (prediction.subscribers >= MAX_SUBSCRIBERS) {
    const refusal = httpErrors.tooManySubscribers();
    return json(res, refusal.status, refusal.body);
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const write = (name: string, data: unknown) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  // §4.7: a stream that cannot be whole says so in an `error` event and closes, rather than silently skipping.
  const fail = (error: string, skipped: number) => {
    write("error", { error, skipped });
    res.end();
  };
  if (options.replay && prediction.historyDropped > 0) {
    return fail("SSE stream replay truncated; events were dropped", prediction.historyDropped);
  }
  const onEvent = (event: PredictionEvent) => {
    switch (event.type) {
      case "start":
        return void write("start", { id: prediction.id, status: "processing" });
      case "output":
        return void write("output", { chunk: event.chunk, index: event.index });
      case "log":
        return void write("log", { source: event.source, data: event.data });
      case "metric":
        return void write("metric", { name: event.name, value: event.value, mode: event.mode });
      case "completed":
        write("completed", prediction.snapshot());
        res.end();
    }
  };
  if (options.replay) for (const event of prediction.history) onEvent(event);
  if (prediction.terminal) {
    if (!res.writableEnded) onEvent({ type: "completed" });
    return;
  }
  prediction.subscribers++;
  // A subscriber that does not read may hold this many events in its send buffer once the socket is full;
  // past that it has lagged: later events are counted, not buffered, and it hears how many it missed.
  const lagLimit = options.historyCapacity > 0 ? options.historyCapacity : 1024;
  let queuedWhileFull = 0;
  let skipped = 0;
  const unsubscribe = prediction.subscribe((event) => {
    if (res.writableEnded) return;
    if (!res.writableNeedDrain) queuedWhileFull = 0;
    else if (++queuedWhileFull > lagLimit) {
      if (skipped++ === 0) res.once("drain", () => fail("SSE stream lagged; events were dropped", skipped));
      return;
    }
    onEvent(event);
  });
  const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), KEEP_ALIVE_MS);
  res.on("close", () => {
    clearInterval(keepAlive);
    unsubscribe();
    prediction.subscribers--;
    if (prediction.sseOwned && prediction.subscribers === 0 && !prediction.terminal) options.abandoned();
  });
}
