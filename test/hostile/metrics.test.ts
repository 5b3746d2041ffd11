/**
 * Issue 14 items 6 and 15, issue 15 item 4: metric names follow Cog's rules (a bad one fails the prediction with
 * Cog's reason), `incr` is `increment`, no input, metric or field name reaches an object prototype, and `append`
 * metrics cost time linear in their count.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../server/helpers.js";
import { startReceiver } from "../helpers/receiver.js";
import { predict } from "./watch.js";

function metrics(...list: [string, unknown, string?][]): Record<string, unknown> {
  return { mode: "metric", arg: JSON.stringify({ metrics: list }) };
}

describe("metrics", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("hostile");
  }, 60_000);
  afterAll(() => server.stop());

  // The names and reasons of Cog's integration test coglet_metrics_validation.txtar.
  const invalid: [string, string][] = [
    ["_invalid", "must start with a letter"],
    ["foo__bar", "must not contain consecutive underscores"],
    ["invalid_", "must end with a letter or digit"],
    [".invalid", "must not start with a dot"],
    ["foo..bar", "empty segments"],
    ["predict_time", "predict_time"],
    ["cog.system", "cog."],
    ["a.b.c.d.e", "at most 4 dot-separated segments"],
    ["a".repeat(129), "128 characters"],
    ["__proto__", "must start with a letter"],
    ["a.__proto__", "must start with a letter"],
    ["x.", "must not end with a dot"],
    ["", "non-empty"],
  ];
  for (const [name, reason] of invalid) {
    it(`fails the prediction for the metric name ${JSON.stringify(name.slice(0, 20))} with Cog's reason`, async () => {
      const response = await predict(server, metrics([name, 1]));
      expect(response.status).toBe(200);
      expect(response.body.status).toBe("failed");
      expect(String(response.body.error)).toContain(reason);
    }, 20_000);
  }

  it("records valid names, incr as increment, and prototype names as plain keys", async () => {
    const response = await predict(
      server,
      metrics(
        ["valid_name", 1],
        ["n", 2, "incr"],
        ["n", 3, "incr"],
        ["constructor.x", 1],
        ["toString", 2, "increment"],
        ["hasOwnProperty", "a", "append"],
        ["a.b_c.d9.e", true],
      ),
    );
    expect(response.body.status).toBe("succeeded");
    expect(response.body.metrics).toMatchObject({
      valid_name: 1,
      n: 5,
      constructor: { x: 1 },
      toString: 2,
      hasOwnProperty: ["a"],
      a: { b_c: { d9: { e: true } } },
    });
  }, 20_000);

  it("never lets a metric path reach Object.prototype: a later prediction of another client sends no webhook", async () => {
    const receiver = await startReceiver();
    try {
      const attack = await predict(server, metrics(["__proto__.webhook", `${receiver.url}/stolen`]));
      expect(attack.body.status).toBe("failed");
      const later = await predict(server, { mode: "echo", arg: '"another client"' });
      expect(later.body.status).toBe("succeeded");
      const asyncLater = await predict(
        server,
        { mode: "echo", arg: '"async client"' },
        {},
        { prefer: "respond-async" },
      );
      expect(asyncLater.status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(receiver.received).toEqual([]);
    } finally {
      await receiver.close();
    }
  }, 20_000);

  it("keeps output keys named __proto__, constructor and toString as plain keys", async () => {
    const raw = '{"__proto__":{"polluted":1},"constructor":{"prototype":2},"toString":3}';
    const response = await predict(server, { mode: "echo", arg: raw });
    expect(response.body.status).toBe("succeeded");
    expect(response.text).toContain(`"output":${raw}`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 20_000);

  it("gives an input named toString that was left out its default, not Object's function", async () => {
    const response = await predict(server, { mode: "names" });
    expect(response.body.status).toBe("succeeded");
    expect(JSON.parse(String(response.body.output))).toEqual({ toString: "plain toString" });
    const given = await predict(server, { mode: "names", toString: "given" });
    expect(JSON.parse(String(given.body.output))).toEqual({ toString: "given" });
  }, 20_000);

  it("appends in time linear in the count (8x the appends cost well under 64x)", async () => {
    const timed = async (size: number) => {
      const started = performance.now();
      const response = await predict(server, { mode: "append", size });
      expect(response.body.status).toBe("succeeded");
      expect((response.body.metrics as { list: number[] }).list.length).toBe(size);
      return performance.now() - started;
    };
    await timed(5000);
    const small = await timed(20_000);
    const large = await timed(160_000);
    // Linear: about 8x. Copying the list on each append: 64x.
    expect(large / small).toBeLessThan(24);
  }, 120_000);
});
