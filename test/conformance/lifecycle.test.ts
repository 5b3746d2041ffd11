/**
 * Transcript 07 (setup failure with and without --await-explicit-shutdown, an import error, SIGTERM, log capture,
 * falsy outputs) replayed against the cogts server. Cog 0.22 keeps serving after a setup failure (0.16 exited
 * with 255 unless told to wait) and answers predictions then with 503 (0.16: 500 text/plain).
 */
import { afterAll, describe, expect, it } from "vitest";
import { expectMatchesContract } from "../helpers/contract.js";
import { recorded, replay, send, serve, type Served } from "./harness.js";

type Body = Record<string, unknown>;

describe("transcript 07: setup failure, import error, signals, logs", () => {
  const servers: Served[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.stop())));
  async function start(name: string, args: string[] = []): Promise<Served> {
    const server = await serve(name, { args });
    servers.push(server);
    return server;
  }

  function expectSetupFailed(health: Body, ...texts: string[]): void {
    expectMatchesContract("health-check", health);
    expect(health.status).toBe("SETUP_FAILED");
    const setup = health.setup as { status: string; logs: string };
    expect(setup.status).toBe("failed");
    for (const text of texts) expect(setup.logs).toContain(text);
  }

  it("A: after a setup failure the server keeps running and says SETUP_FAILED (0.16: exit 255)", async () => {
    const server = await start("setup_fail");
    expectSetupFailed(await server.waitFor("SETUP_FAILED"), "about to fail in setup", "setup exploded on purpose");
    expect(server.process.exitCode).toBeNull();
  });

  it("B [1-5]: with --await-explicit-shutdown: index served, predictions 503, SIGTERM ignored, /shutdown exits 0", async () => {
    const server = await start("setup_fail", ["--await-explicit-shutdown", "true"]);
    await server.waitFor("SETUP_FAILED");
    expectSetupFailed((await replay(server, recorded("07", 1))).json as Body, "setup exploded on purpose");

    const index = await replay(server, recorded("07", 2));
    expect(index.status).toBe(200);
    expectMatchesContract("index", index.json);

    for (const n of [3, 4]) {
      const answer = await replay(server, recorded("07", n));
      expect(answer.status, `[${n}]`).toBe(503);
      expectMatchesContract("http-error#/definitions/notReady", answer.json);
    }

    server.process.kill("SIGTERM");
    // SIGTERM is ignored: the server still answers after it, and only /shutdown stops it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.process.exitCode).toBeNull();
    expect((await server.health()).status).toBe("SETUP_FAILED");

    const shutdown = await replay(server, recorded("07", 5));
    expect(shutdown.status).toBe(200);
    expect(shutdown.json).toEqual({});
    expect(await server.exited).toBe(0);
  });

  it("C [6-9]: a predictor that throws at import is SETUP_FAILED; /openapi.json is 503 until setup succeeds (0.22)", async () => {
    const server = await start("import_error", ["--await-explicit-shutdown", "true"]);
    await server.waitFor("SETUP_FAILED");
    expectSetupFailed((await replay(server, recorded("07", 6))).json as Body, "this predictor fails at import");

    const openapi = await replay(server, recorded("07", 7));
    expect(openapi.status).toBe(503);
    expectMatchesContract("http-error#/definitions/schemaNotAvailable", openapi.json);

    const prediction = await replay(server, recorded("07", 8));
    expect(prediction.status).toBe(503);
    expectMatchesContract("http-error#/definitions/notReady", prediction.json);

    expect((await replay(server, recorded("07", 9))).status).toBe(200);
    expect(await server.exited).toBe(0);
  });

  it("D [10]: SIGTERM exits with 0, idle and with a prediction running", async () => {
    const idle = await start("sleep");
    await idle.waitFor("READY");
    idle.process.kill("SIGTERM");
    expect(await idle.exited).toBe(0);

    const busy = await start("sleep");
    await busy.waitFor("READY");
    const accepted = await replay(busy, recorded("07", 10));
    expect(accepted.status).toBe(202);
    expectMatchesContract("prediction-response#/definitions/accepted", accepted.json);
    await busy.waitFor("BUSY");
    busy.process.kill("SIGTERM");
    expect(await busy.exited).toBe(0);
  });

  it("E [11-14]: setup and prediction logs are captured from stdout and stderr; falsy outputs are kept", async () => {
    const server = await start("logs");
    const health = await server.waitFor("READY");
    expectMatchesContract("health-check", health);
    const setupLogs = (health.setup as { logs: string }).logs;
    expect(setupLogs).toContain("setup line with leading spaces and trailing spaces");
    expect(setupLogs).toContain("setup to stderr\n");

    const text = await replay(server, recorded("07", 12));
    expect(text.status).toBe(200);
    expectMatchesContract("prediction-response#/definitions/prediction", text.json);
    const body = text.json as Body;
    expect(body.output).toBe("ok");
    // Cog 0.16 stripped each line; the text of every recorded line is there.
    for (const line of [
      "indented line",
      "tab\tinside\tline",
      "partial-completed line",
      "multi\nline\nprint",
      "a warning via the logging module",
      "unicode: héllo ✓ 日本",
    ]) {
      expect(body.logs).toContain(line);
    }

    const zero = await replay(server, recorded("07", 13));
    expect((zero.json as Body).output).toBe(""); // Cog 0.16: null (falsy outputs quirk)
    const none = await replay(server, recorded("07", 14));
    expect(none.status).toBe(200);
    expectMatchesContract("prediction-response#/definitions/prediction", none.json);
    expect((none.json as Body).output).toBeNull();
  });

  it("[15] an empty string output stays an empty string (0.16: null)", async () => {
    const server = await start("echo");
    await server.waitFor("READY");
    const answer = await replay(server, recorded("07", 15));
    expect(answer.status).toBe(200);
    expect((answer.json as Body).output).toBe("");
    await send(server.url, "POST", "/shutdown");
    expect(await server.exited).toBe(0);
  });
});
