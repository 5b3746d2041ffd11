/** The one readiness rule and its poller, against an in-process stand-in for a predictor's /health-check. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { readiness, waitUntilReady } from "./ready.js";

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** Answers /health-check with each of `answers` in turn, then the last one for ever. */
async function healthServer(answers: object[]): Promise<string> {
  let calls = 0;
  server = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(answers[Math.min(calls++, answers.length - 1)]));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("readiness", () => {
  it("reads READY and BUSY as ready, SETUP_FAILED and DEFUNCT as failed, anything else as not yet", () => {
    expect(readiness("READY")).toBe("ready");
    expect(readiness("BUSY")).toBe("ready");
    expect(readiness("SETUP_FAILED")).toBe("failed");
    expect(readiness("DEFUNCT")).toBe("failed");
    expect(readiness("STARTING")).toBe("pending");
    expect(readiness(undefined)).toBe("pending");
  });
});

describe("waitUntilReady", () => {
  it("polls through STARTING until the server is ready, BUSY included", async () => {
    const url = await healthServer([{ status: "STARTING" }, { status: "STARTING" }, { status: "BUSY" }]);
    await expect(waitUntilReady(url, { intervalMs: 5 })).resolves.toBeUndefined();
  });

  it("stops at a failed setup with its logs, and at DEFUNCT", async () => {
    const url = await healthServer([
      { status: "STARTING" },
      { status: "SETUP_FAILED", setup: { logs: "weights are missing\n" } },
    ]);
    await expect(waitUntilReady(url, { intervalMs: 5 })).rejects.toThrow(/^setup failed:\nweights are missing$/);
    server!.close();
    const defunct = await healthServer([{ status: "DEFUNCT", setup: { logs: "" } }]);
    await expect(
      waitUntilReady(defunct, { intervalMs: 5, errors: { failed: (status) => new Error(`gone: ${status}`) } }),
    ).rejects.toThrow("gone: DEFUNCT");
  });

  it("gives up after the timeout, and when the server ended", async () => {
    const url = await healthServer([{ status: "STARTING" }]);
    await expect(waitUntilReady(url, { intervalMs: 5, timeoutMs: 30 })).rejects.toThrow(
      "setup did not finish within 0.03 s",
    );
    await expect(waitUntilReady(url, { intervalMs: 5, ended: () => new Error("exited") })).rejects.toThrow("exited");
  });
});
