import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSseEvents, type SseEvent as Sse } from "../helpers/sse.js";
import { startServer, type RunningServer } from "./helpers.js";
import { request } from "../helpers/http.js";
import { startReceiver } from "../helpers/receiver.js";

type SseEvent = Sse<Record<string, unknown>>;
const readSse = (response: Response, stopAfter?: (events: SseEvent[]) => boolean) =>
  readSseEvents<Record<string, unknown>>(response, stopAfter);

describe("iterator outputs", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("stream");
  });
  afterAll(() => server.stop());

  it("returns the yielded values as an array in a sync response, with metrics", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { count: 3 } } });
    expect(r.body).toMatchObject({
      status: "succeeded",
      output: ["item 0", "item 1", "item 2"],
      logs: "tick 0\ntick 1\ntick 2\n",
      metrics: { ticks: 3 },
    });
  });

  it("answers [] for a stream that yields nothing, over HTTP, SSE and webhooks (Cog; was null)", async () => {
    const sync = await request(`${server.url}/predictions`, { body: { input: { count: 0 } } });
    expect(sync.body).toMatchObject({ status: "succeeded", output: [] });
    const sse = await fetch(`${server.url}/predictions`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ input: { count: 0 } }),
    });
    const events = await readSse(sse);
    expect(events[events.length - 1]).toMatchObject({ event: "completed", data: { status: "succeeded", output: [] } });
    const hook = await startReceiver();
    try {
      await request(`${server.url}/predictions`, {
        body: { input: { count: 0 }, webhook: `${hook.url}/h` },
        headers: { prefer: "respond-async" },
      });
      await hook.waitFor((got) => got.some((g) => g.json?.status === "succeeded"));
      expect(hook.received.find((g) => g.json?.status === "succeeded")!.json!.output).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  it("sends one output webhook per yielded value", async () => {
    const hook = await startReceiver();
    try {
      await request(`${server.url}/predictions`, {
        body: {
          input: { count: 3, delay: 0.05 },
          webhook: `${hook.url}/h`,
          webhook_events_filter: ["output", "completed"],
        },
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
    expect(events.filter((e) => e.event === "output").map((e) => e.data)).toEqual([
      { chunk: "item 0", index: 0 },
      { chunk: "item 1", index: 1 },
    ]);
    const logs = events.filter((e) => e.event === "log").map((e) => e.data);
    expect(logs.every((l) => l.source === "stdout")).toBe(true);
    expect(logs.map((l) => l.data).join("")).toBe("tick 0\ntick 1\n");
    expect(events.filter((e) => e.event === "metric")[0]).toMatchObject({
      data: { name: "ticks", value: 1, mode: "increment" },
    });
    const last = events[events.length - 1]!;
    expect(last).toMatchObject({ event: "completed", data: { status: "succeeded", output: ["item 0", "item 1"] } });
  });

  it("re-attaches an SSE stream to an in-flight prediction with PUT, replaying its events", async () => {
    const created = await request(`${server.url}/predictions`, {
      body: { id: "sse-put", input: { count: 3, delay: 0.2 } },
      headers: { prefer: "respond-async" },
    });
    expect(created.status).toBe(202);
    const response = await fetch(`${server.url}/predictions/sse-put`, {
      method: "PUT",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ input: { count: 3, delay: 0.2 } }),
    });
    const events = await readSse(response);
    expect(events[0]!.event).toBe("start");
    expect(events.filter((e) => e.event === "output").map((e) => e.data.chunk)).toEqual(["item 0", "item 1", "item 2"]);
    expect(events[events.length - 1]).toMatchObject({
      event: "completed",
      data: { id: "sse-put", status: "succeeded" },
    });
  });

  it("cancels an SSE-created prediction when its only subscriber leaves", async () => {
    const hook = await startReceiver();
    try {
      const controller = new AbortController();
      const response = await fetch(`${server.url}/predictions`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({
          input: { count: 100, delay: 0.2 },
          webhook: `${hook.url}/h`,
          webhook_events_filter: ["completed"],
        }),
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

describe("SSE streams that cannot be whole (§4.7 error event)", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("stream", { env: { COG_STREAM_HISTORY_CAPACITY: "8" } });
  });
  afterAll(() => server.stop());

  it("a re-attach whose replay history was capped gets `replay truncated` with the count, then the stream closes", async () => {
    await request(`${server.url}/predictions`, {
      body: { id: "trunc", input: { count: 40, delay: 0.05 } },
      headers: { prefer: "respond-async" },
    });
    // 1 start + 3 events per tick: past 8 events the oldest are dropped from the history.
    await new Promise((r) => setTimeout(r, 400));
    const response = await fetch(`${server.url}/predictions/trunc`, {
      method: "PUT",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ input: { count: 40, delay: 0.05 } }),
    });
    expect(response.status).toBe(200);
    const events = await readSse(response);
    expect(events).toHaveLength(1);
    expect(events[0]!.event).toBe("error");
    expect(events[0]!.data.error).toBe("SSE stream replay truncated; events were dropped");
    expect(events[0]!.data.skipped).toBeGreaterThan(0);
    // The prediction itself goes on, and a plain PUT still answers with its state.
    const state = await request(`${server.url}/predictions/trunc`, {
      method: "PUT",
      body: { input: { count: 40, delay: 0.05 } },
    });
    expect(state.status).toBe(202);
    await request(`${server.url}/predictions/trunc/cancel`, { method: "POST" });
  });

  it("a subscriber that stops reading is told it lagged (with the count skipped) once it reads again; the server keeps serving", async () => {
    const { connect } = await import("node:net");
    // The slot of the previous test's canceled prediction must be free first.
    await expect
      .poll(async () => (await request(`${server.url}/health-check`)).body.status, { timeout: 10_000 })
      .toBe("READY");
    const port = Number(new URL(server.url).port);
    const socket = connect(port, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    const body = JSON.stringify({ input: { count: 60000 } });
    socket.write(
      `POST /predictions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\naccept: text/event-stream\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    socket.pause();
    // While this client reads nothing, its socket fills and later events are dropped, not buffered.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await request(`${server.url}/health-check`)).status).toBe(200);
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (text += d));
    socket.resume();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no lag error; got ${text.length} bytes ending ${JSON.stringify(text.slice(-300))}`)),
        20_000,
      );
      const check = () => {
        if (/event: error\ndata: .*lagged/.test(text.slice(-2000))) {
          clearTimeout(timer);
          resolve();
        } else setTimeout(check, 50);
      };
      check();
    });
    const data = /event: error\ndata: (.*)\n/.exec(text.slice(-2000))![1]!;
    const error = JSON.parse(data) as { error: string; skipped: number };
    expect(error.error).toBe("SSE stream lagged; events were dropped");
    expect(error.skipped).toBeGreaterThan(0);
    expect(text).not.toContain("event: completed");
    socket.destroy();
    // The lagging subscriber was the SSE prediction's only one: it is canceled, and the server serves on.
    await expect
      .poll(async () => (await request(`${server.url}/health-check`)).body.status, { timeout: 10_000 })
      .toBe("READY");
    const r = await request(`${server.url}/predictions`, { body: { input: { count: 2 } } });
    expect(r.body).toMatchObject({ status: "succeeded", output: ["item 0", "item 1"] });
  }, 40_000);
});
