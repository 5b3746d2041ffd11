import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "./helpers.js";
import { request } from "../helpers/http.js";
import { startReceiver } from "../helpers/receiver.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("async predictions, slots, cancel and webhooks (sleep predictor)", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("sleep", { env: { WEBHOOK_AUTH_TOKEN: "tok-123", COGTS_CANCEL_GRACE_SECONDS: "1" } });
  });
  afterAll(() => server.stop());

  it("ends a canceled prediction canceled when the predictor ignores the cancel and returns within the grace period (Cog 0.22)", async () => {
    const hook = await startReceiver();
    try {
      const sync = request(`${server.url}/predictions`, {
        body: {
          id: "returns-anyway",
          input: { seconds: 0.6, ignore_cancel: true },
          webhook: `${hook.url}/h`,
          webhook_events_filter: ["completed"],
        },
      });
      await server.waitFor("BUSY");
      expect((await request(`${server.url}/predictions/returns-anyway/cancel`, { method: "POST" })).status).toBe(200);
      const answer = await sync;
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: "returns-anyway", status: "canceled", output: null });
      await hook.waitFor((got) => got.length > 0);
      expect(hook.received[0]!.json).toMatchObject({ id: "returns-anyway", status: "canceled" });
    } finally {
      await hook.close();
    }
  });

  it("answers 202 at once, reports BUSY, refuses a second prediction with 409, and sends the webhooks", async () => {
    const hook = await startReceiver();
    try {
      const r = await request(`${server.url}/predictions`, {
        body: { id: "a1", input: { seconds: 1, steps: 4 }, webhook: `${hook.url}/hook` },
        headers: {
          prefer: "respond-async",
          traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
          tracestate: "k=v",
        },
      });
      expect(r.status).toBe(202);
      expect(r.body).toMatchObject({ id: "a1", status: "starting" });
      expect((await request(`${server.url}/health-check`)).body.status).toBe("BUSY");
      const busy = await request(`${server.url}/predictions`, { body: { input: { seconds: 0 } } });
      expect(busy.status).toBe(409);
      expect(busy.body).toEqual({ error: "At capacity - all prediction slots busy", status: "failed" });
      const put = await request(`${server.url}/predictions/a1`, {
        method: "PUT",
        body: { input: { seconds: 1, steps: 4 } },
      });
      expect(put.status).toBe(202);
      expect(put.body).toMatchObject({ id: "a1", status: "processing", input: { seconds: 1, steps: 4 } });

      await hook.waitFor((got) => got.some((g) => ["succeeded", "failed"].includes(g.json?.status as string)));
      const bodies = hook.received.map((g) => g.json!);
      expect(bodies[0]).toMatchObject({ id: "a1", status: "processing" });
      const last = bodies[bodies.length - 1]!;
      expect(last).toMatchObject({
        id: "a1",
        status: "succeeded",
        output: "slept 1",
        metrics: { steps: { done: 4 }, seen: [1, 2, 3, 4], label: "done" },
      });
      expect(last.logs).toContain("step 4/4\n");
      expect(last.logs).toContain("stderr line 1\n");
      expect((last.metrics as Record<string, unknown>).predict_time).toEqual(expect.any(Number));
      for (const g of hook.received) {
        expect(g.headers.authorization).toBe("Bearer tok-123");
        expect(g.headers.traceparent).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        expect(g.headers.tracestate).toBe("k=v");
        expect(g.headers["content-type"]).toBe("application/json");
      }
      // Logs webhooks are throttled to 0.5 s apart: 4 steps in 1 s cannot all get one.
      const logEvents = bodies.filter((b) => b.status === "processing");
      expect(logEvents.length).toBeLessThan(5);
      await server.waitFor("READY");
    } finally {
      await hook.close();
    }
  });

  it("sends only the events in webhook_events_filter", async () => {
    const hook = await startReceiver();
    try {
      await request(`${server.url}/predictions`, {
        body: { input: { seconds: 0.3, steps: 3 }, webhook: `${hook.url}/hook`, webhook_events_filter: ["completed"] },
        headers: { prefer: "respond-async" },
      });
      await hook.waitFor((got) => got.length >= 1);
      await server.waitFor("READY");
      await sleep(200);
      expect(hook.received.map((g) => g.json?.status)).toEqual(["succeeded"]);
    } finally {
      await hook.close();
    }
  });

  it("cancels an async prediction: 200 {} while in flight, canceled status, completed webhook", async () => {
    const hook = await startReceiver();
    try {
      await request(`${server.url}/predictions`, {
        body: { id: "c1", input: { seconds: 20, steps: 2 }, webhook: `${hook.url}/h` },
        headers: { prefer: "respond-async" },
      });
      await hook.waitFor((got) => got.length >= 1);
      const cancel = await request(`${server.url}/predictions/c1/cancel`, { method: "POST", raw: "" });
      expect(cancel.status).toBe(200);
      expect(cancel.body).toEqual({});
      await hook.waitFor((got) => got.some((g) => g.json?.status === "canceled"));
      const final = hook.received.find((g) => g.json?.status === "canceled")!.json!;
      expect((final.metrics as Record<string, unknown>).predict_time).toEqual(expect.any(Number));
      await server.waitFor("READY");
    } finally {
      await hook.close();
    }
  });

  it("cancels a sync prediction whose client disconnects", async () => {
    const hook = await startReceiver();
    try {
      const controller = new AbortController();
      const pending = fetch(`${server.url}/predictions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id: "sync-gone", input: { seconds: 20, steps: 2 }, webhook: `${hook.url}/h` }),
        signal: controller.signal,
      }).catch(() => undefined);
      await hook.waitFor((got) => got.length >= 1);
      controller.abort();
      await pending;
      await hook.waitFor((got) => got.some((g) => g.json?.status === "canceled"));
      await server.waitFor("READY");
    } finally {
      await hook.close();
    }
  });

  it("stops a predictor that ignores cancellation by restarting the worker", async () => {
    const hook = await startReceiver();
    try {
      await request(`${server.url}/predictions`, {
        body: { id: "stubborn", input: { seconds: 30, ignore_cancel: true }, webhook: `${hook.url}/h` },
        headers: { prefer: "respond-async" },
      });
      await hook.waitFor((got) => got.length >= 1);
      await request(`${server.url}/predictions/stubborn/cancel`, { method: "POST", raw: "" });
      await hook.waitFor((got) => got.some((g) => g.json?.status === "canceled"));
      await server.waitFor("READY");
      const next = await request(`${server.url}/predictions`, { body: { input: { seconds: 0 } } });
      expect(next.body).toMatchObject({ status: "succeeded", output: "slept 0" });
    } finally {
      await hook.close();
    }
  });

  it("reports a failed prediction with HTTP 200, the error, logs and predict_time", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { fail: true } } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: "failed", error: "the predictor failed on purpose" });
    expect(r.body.logs).toContain("step 1/1\n");
    expect((r.body.metrics as Record<string, unknown>).predict_time).toEqual(expect.any(Number));
  });

  it("captures the output of the predictor's child processes in order", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { steps: 2, child: true } } });
    expect(r.body.status).toBe("succeeded");
    const stdout = (r.body.logs as string).split("\n").filter((l) => l.startsWith("step") || l.startsWith("child"));
    expect(stdout).toEqual(["step 1/2", "child says 1", "step 2/2", "child says 2"]);
  });

  it("fails the in-flight prediction when the worker crashes, restarts it, and serves the next one", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { crash: true } } });
    expect(r.body.status).toBe("failed");
    expect(r.body.error).toMatch(/worker process exited with code 7/);
    await server.waitFor("READY");
    const next = await request(`${server.url}/predictions`, { body: { input: {} } });
    expect(next.body).toMatchObject({ status: "succeeded" });
  });

  it("fails the prediction when the worker is killed from outside, then is READY again", async () => {
    const { execFileSync } = await import("node:child_process");
    const pending = request(`${server.url}/predictions`, { body: { input: { seconds: 20, steps: 2 } } });
    await sleep(500);
    const children = execFileSync("pgrep", ["-P", String(server.process.pid)])
      .toString()
      .trim()
      .split("\n");
    for (const pid of children) process.kill(Number(pid), "SIGKILL");
    const r = await pending;
    expect(r.body.status).toBe("failed");
    expect(r.body.error).toMatch(/killed by SIGKILL/);
    const health = await server.waitFor(["STARTING", "READY"]);
    expect(["STARTING", "READY"]).toContain(health.status);
    await server.waitFor("READY");
    expect((await request(`${server.url}/predictions`, { body: {} })).body.status).toBe("succeeded");
  });

  it("delivers the completed webhook after the receiver comes back, without blocking health", async () => {
    let up = false;
    const hook = await startReceiver(() => ({ status: up ? 200 : 503 }));
    try {
      const r = await request(`${server.url}/predictions`, {
        body: { id: "down-1", input: { seconds: 0.2 }, webhook: `${hook.url}/h` },
        headers: { prefer: "respond-async" },
      });
      expect(r.status).toBe(202);
      await server.waitFor("READY");
      expect((await request(`${server.url}/predictions`, { body: {} })).body.status).toBe("succeeded");
      up = true;
      await hook.waitFor((got) => got.some((g) => g.json?.status === "succeeded" && g.json.id === "down-1"));
    } finally {
      await hook.close();
    }
  });

  it("retries the terminal webhook on network errors until the receiver listens", async () => {
    const hook = await startReceiver();
    const port = hook.port;
    await hook.close();
    const r = await request(`${server.url}/predictions`, {
      body: { id: "net-1", input: { seconds: 0.1 }, webhook: `http://127.0.0.1:${port}/h` },
      headers: { prefer: "respond-async" },
    });
    expect(r.status).toBe(202);
    await server.waitFor("READY");
    await sleep(300);
    const { createServer } = await import("node:http");
    const got: string[] = [];
    const again = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        got.push(body);
        res.end();
      });
    });
    await new Promise<void>((resolve) => again.listen(port, "127.0.0.1", resolve));
    try {
      const deadline = Date.now() + 20_000;
      while (!got.some((b) => b.includes('"succeeded"')) && Date.now() < deadline) await sleep(50);
      expect(got.some((b) => b.includes('"net-1"') && b.includes('"succeeded"'))).toBe(true);
    } finally {
      again.closeAllConnections();
      again.close();
    }
  });
});

describe("terminal webhook retries", () => {
  it("retries a 500 at most 12 times, then gives up; a 400 is not retried", async () => {
    const server = await startServer("echo", { env: { COGTS_WEBHOOK_RETRY_BASE_MS: "1" } });
    const failing = await startReceiver((r) => ({ status: r.url === "/bad-request" ? 400 : 500 }));
    try {
      await request(`${server.url}/predictions`, {
        body: { input: {}, webhook: `${failing.url}/always-500`, webhook_events_filter: ["completed"] },
        headers: { prefer: "respond-async" },
      });
      await failing.waitFor((got) => got.length >= 13, 30_000);
      await request(`${server.url}/predictions`, {
        body: { input: {}, webhook: `${failing.url}/bad-request`, webhook_events_filter: ["completed"] },
        headers: { prefer: "respond-async" },
      });
      await failing.waitFor((got) => got.some((g) => g.url === "/bad-request"));
      await sleep(1500);
      expect(failing.received.filter((g) => g.url === "/always-500")).toHaveLength(13);
      expect(failing.received.filter((g) => g.url === "/bad-request")).toHaveLength(1);
    } finally {
      await failing.close();
      await server.stop();
    }
  });
});

describe("concurrency", () => {
  it("runs 4 predictions at once on an async predictor with COG_MAX_CONCURRENCY=4, each with its own logs and metrics", async () => {
    const server = await startServer("async", { env: { COG_MAX_CONCURRENCY: "4" } });
    try {
      const runs = ["a", "b", "c", "d"].map((text) =>
        request(`${server.url}/predictions`, { body: { input: { text, seconds: 1 } } }),
      );
      await sleep(300);
      expect((await request(`${server.url}/health-check`)).body.status).toBe("BUSY");
      expect((await request(`${server.url}/predictions`, { body: { input: { text: "e" } } })).status).toBe(409);
      const results = await Promise.all(runs);
      for (const [i, text] of ["a", "b", "c", "d"].entries()) {
        expect(results[i]!.body).toMatchObject({
          status: "succeeded",
          output: text,
          logs: `start ${text}\nend ${text}\n`,
          metrics: { echo: text },
        });
      }
    } finally {
      await server.stop();
    }
  });

  it("refuses COG_MAX_CONCURRENCY > 1 for a predictor whose predict is not async", async () => {
    const server = await startServer("sync", { env: { COG_MAX_CONCURRENCY: "2" }, waitFor: "SETUP_FAILED" });
    try {
      const health = await request(`${server.url}/health-check`);
      expect((health.body.setup as Record<string, string>).logs).toMatch(
        /COG_MAX_CONCURRENCY > 1 requires an async predict\(\) method/,
      );
    } finally {
      await server.stop();
    }
  });

  it("runs a plain synchronous predict() with one slot", async () => {
    const server = await startServer("sync");
    try {
      expect((await request(`${server.url}/predictions`, { body: { input: { text: "abc" } } })).body.output).toBe(
        "ABC",
      );
    } finally {
      await server.stop();
    }
  });
});
