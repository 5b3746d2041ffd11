/**
 * Transcript 05 (sleep: async 202, busy 409, idempotent PUT, cancel, webhook sequences and filters, cancel of a
 * sync prediction, concurrent sync PUTs) replayed in order against one cogts server, as it was recorded.
 * Waiting is done by polling the health check and the receiver, never by fixed sleeps.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { expectMatchesContract } from "../helpers/contract.js";
import { isTerminal, receiver, recorded, recordedWebhooks, replay, send, serve, type Served } from "./harness.js";

type Body = Record<string, unknown>;

describe("transcript 05: async, busy, PUT, cancel, webhooks", () => {
  let server: Served;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  const run = (number: number, body?: unknown) => replay(server, recorded("05", number), { receiver: hooks.url, body });
  const finished = (id: string) =>
    hooks.waitFor(() => hooks.webhooks(id).some(isTerminal), `the completed webhook of ${id}`);
  const expectValidWebhooks = (id: string) => {
    const webhooks = hooks.webhooks(id);
    for (const [i, webhook] of webhooks.entries())
      expectMatchesContract("webhook-payload", webhook, `webhook #${i} of ${id}`);
    return webhooks;
  };

  beforeAll(async () => {
    hooks = await receiver();
    server = await serve("sleep");
    await server.waitFor("READY");
  });
  afterAll(async () => {
    await server?.stop();
    await hooks?.close();
  });

  beforeEach(() => server.waitFor("READY"));

  it("A [1-11]: 202, BUSY, 409s, PUT of the running id, cancel, 404 after the end", async () => {
    const accepted = await run(1);
    expect(accepted.status).toBe(202);
    expectMatchesContract("prediction-response#/definitions/accepted", accepted.json);
    expect(accepted.json).toMatchObject({ id: "sleep-a1", status: "starting" });

    const busy = await server.waitFor("BUSY");
    expectMatchesContract("health-check", busy);

    for (const n of [3, 4, 7]) {
      const conflict = await run(n);
      expect(conflict.status, `[${n}]`).toBe(409);
      expectMatchesContract("http-error#/definitions/atCapacity", conflict.json);
    }

    const same = await run(5);
    expect(same.status).toBe(202);
    expectMatchesContract("prediction-response#/definitions/snapshot", same.json);
    expect(same.json).toMatchObject({ id: "sleep-a1", status: "processing", input: { seconds: 3, steps: 6 } });

    const cancel = await run(8);
    expect(cancel.status).toBe(200);
    expect(cancel.json).toEqual({});
    const again = await run(9);
    // 200 while the prediction is still finishing, 404 once it has: both are Cog's answers.
    expect([200, 404]).toContain(again.status);
    expect(again.json).toEqual({});

    await finished("sleep-a1");
    await server.waitFor("READY");
    const late = await run(10);
    expect(late.status).toBe(404);
    expect(late.json).toEqual({});
    expectMatchesContract("health-check", (await run(11)).json);

    const webhooks = expectValidWebhooks("sleep-a1");
    expect(webhooks[0]).toMatchObject({ status: "processing" });
    expect(webhooks.at(-1)).toMatchObject({ status: "canceled" });
    expect(webhooks.filter(isTerminal)).toHaveLength(1);
  });

  it("B [12]: start, throttled logs, then the completed webhook with everything", async () => {
    const exchange = recorded("05", 12);
    expect((await run(12)).status).toBe(202);
    await finished("sleep-b1");
    const webhooks = expectValidWebhooks("sleep-b1");
    const recordedFinal = recordedWebhooks("05", "sleep-b1").at(-1) as Body;
    const final = webhooks.at(-1)!;
    expect(final).toMatchObject({ id: "sleep-b1", status: "succeeded", output: recordedFinal.output });
    expect(String(final.logs).split("\n").sort()).toEqual(String(recordedFinal.logs).split("\n").sort());
    expect(webhooks[0]).toMatchObject({ status: "processing" });
    // 16 log lines: throttling (0.5 s) merges them into a few webhooks, as in the recording (6 in all).
    expect(webhooks.length).toBeLessThan(16);
    expect(exchange.response.status).toBe(202);
  });

  it("C [13-15]: webhook_events_filter", async () => {
    expect((await run(13)).status).toBe(202);
    await finished("sleep-c1");
    expect(expectValidWebhooks("sleep-c1").map((w) => w.status)).toEqual(["succeeded"]);

    expect((await run(14)).status).toBe(202);
    await hooks.waitFor(() => hooks.webhooks("sleep-c2").length > 0, "a logs webhook of sleep-c2");
    await server.waitFor("READY");

    // [] : Cog 0.16 sent every event; Cog 0.22 sends the events in the list, so none.
    expect((await run(15)).status).toBe(202);
    await server.waitFor("BUSY");
    await server.waitFor("READY");
  });

  it("D [16-17]: a sync prediction with a webhook, and a failing async one", async () => {
    const sync = await run(16);
    expect(sync.status).toBe(200);
    expectMatchesContract("prediction-response#/definitions/prediction", sync.json);
    expect(sync.json).toMatchObject({ id: "sleep-d1", status: "succeeded", output: "slept 0.6s" });
    await finished("sleep-d1");
    expect(expectValidWebhooks("sleep-d1").at(-1)).toMatchObject({ status: "succeeded", output: "slept 0.6s" });

    expect((await run(17)).status).toBe(202);
    await finished("sleep-d2");
    const final = expectValidWebhooks("sleep-d2").at(-1)!;
    expect(final).toMatchObject({ status: "failed" });
    expect(final.error).toContain("failed on purpose");

    // By now any webhook of C's predictions has arrived: [14] sent logs only, [15] nothing.
    const c2 = expectValidWebhooks("sleep-c2");
    expect(c2.length).toBeGreaterThan(0);
    expect(c2.some(isTerminal)).toBe(false);
    expect(hooks.webhooks("sleep-c3")).toEqual([]);
  });

  it("E [18]: cancel of a sync prediction from another connection; the blocked request gets the canceled body", async () => {
    const blocked = send(
      server.url,
      "POST",
      "/predictions",
      JSON.stringify({ id: "sleep-e1", input: { seconds: 5, steps: 5 } }),
      { "content-type": "application/json" },
    );
    await server.waitFor("BUSY");
    const cancel = await run(18);
    expect(cancel.status).toBe(200);
    expect(cancel.json).toEqual({});
    const answer = await blocked;
    expect(answer.status).toBe(recorded("05", 18).later[0]!.status);
    expectMatchesContract("prediction-response#/definitions/prediction", answer.json);
    expect(answer.json).toMatchObject({ id: "sleep-e1", status: "canceled" });
  });

  it("F [19]: a second sync PUT of a running id answers 202 with its state; the first gets the result", async () => {
    await server.waitFor("READY");
    const exchange = recorded("05", 19);
    const first = send(server.url, "PUT", "/predictions/sleep-f1", exchange.request.body, {
      "content-type": "application/json",
    });
    await server.waitFor("BUSY");
    const second = await run(19);
    expect(second.status).toBe(202);
    expectMatchesContract("prediction-response#/definitions/snapshot", second.json);
    expect(second.json).toMatchObject({ id: "sleep-f1", status: "processing" });
    const answer = await first;
    expect(answer.status).toBe(200);
    expectMatchesContract("prediction-response#/definitions/prediction", answer.json);
    expect(answer.json).toMatchObject({
      id: "sleep-f1",
      status: "succeeded",
      output: (exchange.later[0]!.json as Body).output,
    });
  });

  it("A [6]: a PUT of the running id with an invalid input is a 422 (Cog 0.16 and 0.22 validate first)", async () => {
    // [1] again, without its webhook; canceled at the end whatever happens.
    const body = { id: "sleep-a1", input: { seconds: 3, steps: 6 } };
    expect((await run(1, body)).status).toBe(202);
    try {
      await server.waitFor("BUSY");
      const invalid = await run(6);
      expect(invalid.status, invalid.text).toBe(422);
      expectMatchesContract("validation-error", invalid.json);
      expect((invalid.json as { detail: { loc: unknown[] }[] }).detail.map((d) => d.loc)).toEqual([
        ["body", "input", "seconds"],
      ]);
    } finally {
      await send(server.url, "POST", "/predictions/sleep-a1/cancel");
      await server.waitFor("READY");
    }
  });
});
