import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request, startReceiver, startServer, type RunningServer } from "./helpers.js";

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

async function readSse(response: Response, stopAfter?: (events: SseEvent[]) => boolean): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
    }
    if (stopAfter?.(events)) break;
  }
  return events;
}

describe("iterator outputs", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("stream");
  });
  afterAll(() => server.stop());

  it("returns the yielded values as an array in a sync response, with metrics", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { count: 3 } } });
    expect(r.body).toMatchObject({ status: "succeeded", output: ["item 0", "item 1", "item 2"], logs: "tick 0\ntick 1\ntick 2\n", metrics: { ticks: 3 } });
  });

  it("sends one output webhook per yielded value", async () => {
    const hook = await startReceiver();
    try {
      await request(`${server.url}/predictions`, {
        body: { input: { count: 3, delay: 0.05 }, webhook: `${hook.url}/h`, webhook_events_filter: ["output", "completed"] },
        headers: { prefer: "respond-async" },
      });
      await hook.waitFor((got) => got.some((g) => g.json?.status === "succeeded"));
      const outputs = hook.received.filter((g) => g.json?.status === "processing").map((g) => g.json!.output);
      expect(outputs).toEqual([["item 0"], ["item 0", "item 1"], ["item 0", "item 1", "item 2"]]);
      expect(hook.received[hook.received.length - 1]!.json!.output).toEqual(["item 0", "item 1", "item 2"]);
    } finally {
      await hook.close();
    }
  });

  it("streams start, log, metric, output and completed events over SSE", async () => {
    const response = await fetch(`${server.url}/predictions`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ input: { count: 2 } }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const events = await readSse(response);
    expect(events[0]).toMatchObject({ event: "start", data: { status: "processing" } });
    expect(events.filter((e) => e.event === "output").map((e) => e.data)).toEqual([{ chunk: "item 0", index: 0 }, { chunk: "item 1", index: 1 }]);
    const logs = events.filter((e) => e.event === "log").map((e) => e.data);
    expect(logs.every((l) => l.source === "stdout")).toBe(true);
    expect(logs.map((l) => l.data).join("")).toBe("tick 0\ntick 1\n");
    expect(events.filter((e) => e.event === "metric")[0]).toMatchObject({ data: { name: "ticks", value: 1, mode: "increment" } });
    const last = events[events.length - 1]!;
    expect(last).toMatchObject({ event: "completed", data: { status: "succeeded", output: ["item 0", "item 1"] } });
  });

  it("re-attaches an SSE stream to an in-flight prediction with PUT, replaying its events", async () => {
    const created = await request(`${server.url}/predictions`, { body: { id: "sse-put", input: { count: 3, delay: 0.2 } }, headers: { prefer: "respond-async" } });
    expect(created.status).toBe(202);
    const response = await fetch(`${server.url}/predictions/sse-put`, {
      method: "PUT",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ input: { count: 3, delay: 0.2 } }),
    });
    const events = await readSse(response);
    expect(events[0]!.event).toBe("start");
    expect(events.filter((e) => e.event === "output").map((e) => e.data.chunk)).toEqual(["item 0", "item 1", "item 2"]);
    expect(events[events.length - 1]).toMatchObject({ event: "completed", data: { id: "sse-put", status: "succeeded" } });
  });

  it("cancels an SSE-created prediction when its only subscriber leaves", async () => {
    const hook = await startReceiver();
    try {
      const controller = new AbortController();
      const response = await fetch(`${server.url}/predictions`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ input: { count: 100, delay: 0.2 }, webhook: `${hook.url}/h`, webhook_events_filter: ["completed"] }),
        signal: controller.signal,
      });
      await readSse(response, (events) => events.some((e) => e.event === "output"));
      controller.abort();
      await hook.waitFor((got) => got.some((g) => g.json?.status === "canceled"));
      await server.waitFor("READY");
    } finally {
      await hook.close();
    }
  });
});

describe("concatenate iterator", () => {
  it("returns the tokens as an array", async () => {
    const server = await startServer("concat");
    try {
      const r = await request(`${server.url}/predictions`, { body: { input: { text: "a b c" } } });
      expect(r.body.output).toEqual(["a ", "b ", "c "]);
    } finally {
      await server.stop();
    }
  });
});
