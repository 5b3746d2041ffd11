/**
 * Transcript 06 (iterator and concatenate-iterator outputs, their webhooks with and without throttling, the
 * webhook auth token and trace headers) replayed against the cogts server, plus Cog 0.22's SSE route (not in
 * the 0.16 recording): a streaming model answers `Accept: text/event-stream`, another one 406.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectMatchesContract } from "../helpers/contract.js";
import { parseSseText } from "../helpers/sse.js";
import { isTerminal, receiver, recorded, recordedWebhooks, replay, serve, type Served } from "./harness.js";

type Body = Record<string, unknown>;

describe("transcript 06: streaming outputs and their webhooks", () => {
  let hooks: Awaited<ReturnType<typeof receiver>>;
  const servers: Served[] = [];
  let iteratorServer: Served | undefined;
  let concatServer: Served | undefined;
  beforeAll(async () => {
    hooks = await receiver();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await hooks?.close();
  });
  async function start(name: string, env: Record<string, string> = {}): Promise<Served> {
    const server = await serve(name, { env });
    servers.push(server);
    await server.waitFor("READY");
    return server;
  }
  const finished = (id: string) =>
    hooks.waitFor(() => hooks.webhooks(id).some(isTerminal), `the completed webhook of ${id}`);
  const validWebhooks = (id: string) => {
    const webhooks = hooks.webhooks(id);
    for (const [i, webhook] of webhooks.entries())
      expectMatchesContract("webhook-payload", webhook, `webhook #${i} of ${id}`);
    return webhooks;
  };
  const outputLengths = (webhooks: Body[]) =>
    webhooks.filter((w) => !isTerminal(w) && Array.isArray(w.output)).map((w) => (w.output as unknown[]).length);

  it("A [1-3]: iterator webhooks; outputs are never throttled (0.22), so every item has its webhook", async () => {
    const server = (iteratorServer = await start("iterator"));
    const accepted = await replay(server, recorded("06", 1), { receiver: hooks.url });
    expect(accepted.status).toBe(202);
    expectMatchesContract("prediction-response#/definitions/accepted", accepted.json);
    await finished("it-a1");
    const a1 = validWebhooks("it-a1");
    expect(a1.at(-1)).toMatchObject({
      status: "succeeded",
      output: (recordedWebhooks("06", "it-a1").at(-1) as Body).output,
    });
    expect(new Set(outputLengths(a1))).toEqual(new Set([1, 2, 3, 4, 5]));

    await server.waitFor("READY");
    expect((await replay(server, recorded("06", 2), { receiver: hooks.url })).status).toBe(202);
    await finished("it-a2");
    const a2 = validWebhooks("it-a2");
    // Only `output` and `completed` were asked for: one webhook per item, then the final one.
    expect(outputLengths(a2)).toEqual([1, 2, 3, 4]);
    expect(a2.filter((w) => !isTerminal(w))).toHaveLength(4);
    expect(a2.filter(isTerminal)).toHaveLength(1);

    await server.waitFor("READY");
    const exchange = recorded("06", 3);
    const sync = await replay(server, exchange, { receiver: hooks.url });
    expect(sync.status).toBe(200);
    expectMatchesContract("prediction-response#/definitions/prediction", sync.json);
    expect(sync.json).toMatchObject({
      id: "it-a3",
      output: (exchange.response.json as Body).output,
      logs: (exchange.response.json as Body).logs,
    });
    await finished("it-a3");
    expect(validWebhooks("it-a3").at(-1)).toMatchObject({
      status: "succeeded",
      output: ["item-0", "item-1", "item-2"],
    });
  });

  it("a model without x-cog-streaming answers an SSE request with 406", async () => {
    const server = iteratorServer ?? (iteratorServer = await start("iterator"));
    const answer = await fetch(`${server.url}/predictions`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ input: { count: 1 } }),
    });
    expect(answer.status).toBe(406);
    expectMatchesContract("http-error#/definitions/notStreaming", await answer.json());
  });

  it("B [4]: no throttling; WEBHOOK_AUTH_TOKEN and the trace headers on every webhook; start is sent (0.16 skipped it)", async () => {
    const server = await start("iterator", { COG_THROTTLE_RESPONSE_INTERVAL: "0", WEBHOOK_AUTH_TOKEN: "secret-token" });
    const exchange = recorded("06", 4);
    expect((await replay(server, exchange, { receiver: hooks.url })).status).toBe(202);
    await finished("it-b1");
    const webhooks = validWebhooks("it-b1");
    expect(webhooks[0]).toMatchObject({ status: "processing" });
    expect(webhooks.at(-1)).toMatchObject({ status: "succeeded", output: ["item-0", "item-1", "item-2"] });
    const hits = hooks.hits.filter((h) => h.json?.id === "it-b1");
    for (const hit of hits) {
      expect(hit.headers.authorization).toBe("Bearer secret-token");
      expect(hit.headers.traceparent).toBe(exchange.request.headers.traceparent);
      expect(hit.headers.tracestate).toBe(exchange.request.headers.tracestate);
      expect(hit.headers["content-type"]).toMatch(/^application\/json/);
    }
  });

  it("C [5]: a concatenate iterator keeps its tokens' leading spaces", async () => {
    const server = (concatServer = await start("concat", { COG_THROTTLE_RESPONSE_INTERVAL: "0" }));
    expect((await replay(server, recorded("06", 5), { receiver: hooks.url })).status).toBe(202);
    await finished("cc-1");
    expect(validWebhooks("cc-1").at(-1)).toMatchObject({ status: "succeeded", output: ["one", " two", " three"] });
  });

  it("SSE: a streaming model sends start, one output per token, then completed; every frame fits the schema", async () => {
    const server = concatServer ?? (concatServer = await start("concat"));
    await server.waitFor("READY");
    const answer = await fetch(`${server.url}/predictions`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ id: "cc-sse", input: { text: "one two three" } }),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = parseSseText(await answer.text());
    for (const [i, event] of events.entries()) expectMatchesContract("sse-events", event, `SSE frame #${i}`);
    expect(events[0]).toEqual({ event: "start", data: { id: "cc-sse", status: "processing" } });
    expect(events.filter((e) => e.event === "output").map((e) => e.data)).toEqual([
      { chunk: "one", index: 0 },
      { chunk: " two", index: 1 },
      { chunk: " three", index: 2 },
    ]);
    expect(events.at(-1)).toMatchObject({
      event: "completed",
      data: { id: "cc-sse", status: "succeeded", output: ["one", " two", " three"] },
    });
  });

  it("SSE: PUT of a running id with Accept: text/event-stream re-attaches and replays what happened so far", async () => {
    const server = concatServer ?? (concatServer = await start("concat"));
    await server.waitFor("READY");
    const accepted = await fetch(`${server.url}/predictions`, {
      method: "POST",
      headers: { "content-type": "application/json", prefer: "respond-async" },
      body: JSON.stringify({ id: "cc-again", input: { text: "a b c d", delay: 0.2 } }),
    });
    expect(accepted.status).toBe(202);
    await server.waitFor("BUSY");
    const answer = await fetch(`${server.url}/predictions/cc-again`, {
      method: "PUT",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ input: { text: "a b c d", delay: 0.2 } }),
    });
    expect(answer.status).toBe(200);
    const events = parseSseText(await answer.text());
    for (const [i, event] of events.entries()) expectMatchesContract("sse-events", event, `SSE frame #${i}`);
    expect(events[0]!.event).toBe("start");
    expect(events.filter((e) => e.event === "output").map((e) => (e.data as { index: number }).index)).toEqual([
      0, 1, 2, 3,
    ]);
    expect(events.at(-1)).toMatchObject({
      event: "completed",
      data: { id: "cc-again", status: "succeeded", output: ["a", " b", " c", " d"] },
    });
  });
});
