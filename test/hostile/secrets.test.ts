/**
 * Issue 14 items 4 and 5: secret values never appear in clear (logs, webhooks, the server's own stderr), also
 * split across two writes or pipe reads and when written after predict() returned; logs are bounded, and masking
 * does not blow them up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../server/helpers.js";
import { startReceiver } from "../helpers/receiver.js";
import { predict, watchMemory } from "./watch.js";

const TOKEN = "tok-Zq81-secret-VALUE-4471";

describe("secrets in logs", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("hostile");
  }, 60_000);
  afterAll(() => server.stop());

  for (const how of ["fd", "stdout", "child"]) {
    it(`masks a secret written in two halves through ${how} (two pipe reads), in logs and webhooks`, async () => {
      const receiver = await startReceiver();
      try {
        const response = await predict(
          server,
          { mode: "secret", token: TOKEN, arg: JSON.stringify({ how, lateMs: 5000 }) },
          { webhook: `${receiver.url}/hook` },
        );
        expect(response.body.status).toBe("succeeded");
        const logs = String(response.body.logs);
        expect(logs).toContain("split ********** end");
        expect(logs).not.toContain(TOKEN);
        expect(logs).not.toContain(TOKEN.slice(TOKEN.length / 2));
        await receiver.waitFor((received) => received.some((r) => r.json?.status === "succeeded"));
        for (const hook of receiver.received)
          expect(hook.body.toString()).not.toContain(TOKEN.slice(0, TOKEN.length / 2));
      } finally {
        await receiver.close();
      }
    }, 30_000);
  }

  it("masks a secret the predictor writes after predict() returned, in the server's own stderr", async () => {
    const response = await predict(server, {
      mode: "secret",
      token: TOKEN,
      arg: JSON.stringify({ how: "fd", lateMs: 100 }),
    });
    expect(response.body.status).toBe("succeeded");
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(server.output()).toContain("late **********");
    expect(server.output()).not.toContain(TOKEN);
  }, 30_000);
});

describe("log size", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("hostile", { env: { COGTS_MAX_LOG_CHARS: String(2 * 1024 * 1024) } });
  }, 60_000);
  afterAll(() => server.stop());

  it("keeps a prediction's logs to the limit, says how much was dropped, and keeps running", async () => {
    const memory = watchMemory(server, 800);
    try {
      // 24 MiB of output in one prediction, through the pipe.
      const response = await predict(server, {
        mode: "burst",
        arg: JSON.stringify({ how: "child", tag: "flood" }),
        size: 24 * 1024 * 1024,
      });
      expect(response.body.status).toBe("succeeded");
      const logs = String(response.body.logs);
      expect(logs.length).toBeLessThan(2 * 1024 * 1024 + 400);
      expect(logs).toMatch(
        /\[cogts: logs truncated: \d+ more characters were dropped past the 2097152-character limit/,
      );
      expect(logs.startsWith("<flood>xxxx")).toBe(true);
      expect((await server.health()).status).toBe("READY");
      expect(memory.exceeded()).toBe(false);
    } finally {
      memory.stop();
    }
  }, 60_000);

  it("masks a one-character secret without multiplying the logs", async () => {
    const response = await predict(server, {
      mode: "secret",
      token: "x",
      size: 1024 * 1024,
      arg: JSON.stringify({ how: "fd", lateMs: 5000 }),
    });
    expect(response.body.status).toBe("succeeded");
    const logs = String(response.body.logs);
    expect(logs).not.toContain("x");
    expect(logs.length).toBeLessThan(1024 * 1024 + 100);
  }, 30_000);
});
