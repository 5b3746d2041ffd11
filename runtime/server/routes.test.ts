import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { PredictionService } from "./service.js";
import { Routes } from "./routes.js";
import { BodyReader } from "./body.js";
import { FakeWorker } from "./fake-worker.js";
import { compileInputValidator } from "../validate.js";

const OPENAPI = {
  paths: { "/predictions": { post: { "x-cog-streaming": true } } },
  components: { schemas: { Input: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } } },
};

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** The routes over a fake worker, on a node:http server in this process. */
async function start(options: { openapi?: Record<string, unknown>; bodies?: BodyReader } = {}) {
  const worker = new FakeWorker();
  const openapi = "openapi" in options ? options.openapi : OPENAPI;
  const service = new PredictionService(
    {
      mode: "predict",
      worker: { parameters: [], outputDir: "/nonexistent" },
      maxConcurrency: 1,
      throttle: 0,
      webhookRetryBaseMs: 1,
      historyCapacity: 1024,
      download: { maxBytes: 1024, timeoutMs: 2000, userAgent: "test", allowLocalPaths: false },
      version: "9.9.9",
    },
    worker,
  );
  if (openapi) service.setValidator("predictions", compileInputValidator(openapi, "Input"));
  let shutdowns = 0;
  const routes = new Routes({
    service,
    openapi,
    version: "9.9.9",
    mode: "predict",
    historyCapacity: 1024,
    validators: { done: true, compiled: Promise.resolve() },
    shutdown: () => shutdowns++,
    bodies: options.bodies,
  });
  server = createServer(routes.handle);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const init: RequestInit = { method, headers: { "content-type": "application/json", ...headers } };
    if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
    const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
    const text = await res.text();
    const type = res.headers.get("content-type") ?? "";
    return {
      status: res.status,
      headers: res.headers,
      text,
      body: type.includes("json") ? (JSON.parse(text) as Record<string, unknown>) : undefined,
    };
  };
  /** Waits until the fake worker has been sent this many predictions. */
  const sent = async (count: number) => {
    for (let i = 0; i < 200 && worker.sent.length < count; i++) await new Promise((r) => setTimeout(r, 5));
    expect(worker.sent.length).toBe(count);
    return worker.sent[count - 1]!.id;
  };
  return { worker, service, call, sent, shutdowns: () => shutdowns };
}

describe("routes", () => {
  it("answers the index, 404 for an unknown path and 405 with Allow for a wrong method", async () => {
    const { call } = await start();
    const index = await call("GET", "/");
    expect(index.body).toMatchObject({ cog_version: "9.9.9", predictions_url: "/predictions" });
    expect(await call("GET", "/nope")).toMatchObject({ status: 404, body: { detail: "Not Found" } });
    const wrong = await call("GET", "/predictions");
    expect(wrong).toMatchObject({ status: 405, body: { detail: "Method Not Allowed" } });
    expect(wrong.headers.get("allow")).toBe("POST");
    expect((await call("GET", "/predictions/abc/cancel")).headers.get("allow")).toBe("POST");
    expect((await call("POST", "/predictions/abc")).headers.get("allow")).toBe("PUT");
    // A trailing slash is the same path.
    expect((await call("GET", "/health-check/")).status).toBe(200);
  });

  it("runs a sync prediction to 200 with its output", async () => {
    const { worker, call } = await start();
    worker.autoAnswer = (m) => `hi ${(m.input as { text: string }).text}`;
    const res = await call("POST", "/predictions", { input: { text: "there" } });
    expect(res).toMatchObject({ status: 200, body: { status: "succeeded", output: "hi there" } });
  });

  it("refuses bodies: 400 not JSON, 415 not declared JSON, 413 over the limit, 422 a bad input", async () => {
    const { call } = await start({ bodies: new BodyReader(64, 1024) });
    expect((await call("POST", "/predictions", "{oops")).status).toBe(400);
    const plain = await call("POST", "/predictions", "{}", { "content-type": "text/plain" });
    expect(plain.status).toBe(415);
    const large = await call("POST", "/predictions", { input: { text: "x".repeat(100) } });
    expect(large).toMatchObject({ status: 413, body: { error: "request body is larger than 64 bytes" } });
    const invalid = await call("POST", "/predictions", { input: {} });
    expect(invalid.status).toBe(422);
    expect((invalid.body!.detail as { loc: string[] }[])[0]!.loc).toEqual(["body", "input", "text"]);
  });

  it("answers 503 before setup, and /openapi.json 503 until ready", async () => {
    const { worker, call } = await start();
    worker.state = "starting";
    expect(await call("POST", "/predictions", { input: { text: "x" } })).toMatchObject({
      status: 503,
      body: { status: "failed" },
    });
    expect(await call("GET", "/openapi.json")).toMatchObject({
      status: 503,
      body: { error: "OpenAPI schema not available" },
    });
    expect(await call("GET", "/health-check")).toMatchObject({ body: { status: "STARTING" } });
    worker.state = "ready";
    expect((await call("GET", "/openapi.json")).status).toBe(200);
  });

  it("answers 409 while busy, 202 for async and the running state for an idempotent PUT", async () => {
    const { worker, call, sent } = await start();
    const accepted = await call("PUT", "/predictions/p1", { input: { text: "x" } }, { prefer: "respond-async" });
    expect(accepted).toMatchObject({ status: 202, body: { id: "p1", status: "starting" } });
    await sent(1);
    expect(await call("POST", "/predictions", { input: { text: "y" } })).toMatchObject({
      status: 409,
      body: { status: "failed" },
    });
    expect(await call("GET", "/health-check")).toMatchObject({ body: { status: "BUSY" } });
    const again = await call("PUT", "/predictions/p1", { input: { text: "x" } }, { prefer: "respond-async" });
    expect(again).toMatchObject({ status: 202, body: { id: "p1", status: "processing" } });
    worker.succeed("p1", "done");
    expect(await call("GET", "/health-check")).toMatchObject({ body: { status: "READY" } });
  });

  it("cancels a running prediction (200 {}), then 404 {} once it ended", async () => {
    const { worker, call, sent } = await start();
    const pending = call("PUT", "/predictions/c1", { input: { text: "x" } });
    await sent(1);
    expect(await call("POST", "/predictions/c1/cancel")).toMatchObject({ status: 200, body: {} });
    expect(worker.canceled).toEqual(["c1"]);
    worker.end("c1", "canceled");
    expect(await pending).toMatchObject({ status: 200, body: { id: "c1", status: "canceled" } });
    expect(await call("POST", "/predictions/c1/cancel")).toMatchObject({ status: 404, body: {} });
  });

  it("streams SSE events in `event:`/`data:` frames, ending with completed", async () => {
    const { worker, call, sent } = await start();
    const pending = call("POST", "/predictions", { id: "s1", input: { text: "x" } }, { accept: "text/event-stream" });
    await sent(1);
    worker.chunk("s1", "a");
    worker.chunk("s1", "b");
    worker.succeed("s1", undefined);
    const res = await pending;
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const frames = res.text.trim().split("\n\n");
    expect(frames[0]).toBe('event: start\ndata: {"id":"s1","status":"processing"}');
    expect(frames[1]).toBe('event: output\ndata: {"chunk":"a","index":0}');
    expect(frames[2]).toBe('event: output\ndata: {"chunk":"b","index":1}');
    expect(frames[3]).toMatch(/^event: completed\ndata: \{.*"status":"succeeded"/);
    expect(frames).toHaveLength(4);
  });

  it("answers 406 for SSE when the model does not stream", async () => {
    const { call } = await start({ openapi: { components: OPENAPI.components } });
    const res = await call("POST", "/predictions", { input: { text: "x" } }, { accept: "text/event-stream" });
    expect(res.status).toBe(406);
  });

  it("answers POST /shutdown with 200 {} and then shuts down", async () => {
    const { call, shutdowns } = await start();
    expect(await call("POST", "/shutdown")).toMatchObject({ status: 200, body: {} });
    for (let i = 0; i < 50 && shutdowns() === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(shutdowns()).toBe(1);
  });

  it("answers a canceled sync prediction canceled, and its SSE stream completes canceled, even when the predictor returns", async () => {
    const { worker, call, sent } = await start();
    const sync = call("PUT", "/predictions/k1", { input: { text: "x" } });
    await sent(1);
    expect((await call("POST", "/predictions/k1/cancel")).status).toBe(200);
    worker.succeed("k1", "ignored the cancel");
    expect(await sync).toMatchObject({ status: 200, body: { id: "k1", status: "canceled", output: null } });

    const stream = call("POST", "/predictions", { id: "k2", input: { text: "x" } }, { accept: "text/event-stream" });
    await sent(2);
    expect((await call("POST", "/predictions/k2/cancel")).status).toBe(200);
    worker.succeed("k2", "ignored the cancel");
    const frames = (await stream).text.trim().split("\n\n");
    expect(frames.at(-1)).toMatch(/^event: completed\ndata: \{.*"status":"canceled"/);
  });
});
