import { describe, expect, it } from "vitest";
import { startServer } from "./helpers.js";
import { request } from "../helpers/http.js";
import { startReceiver } from "../helpers/receiver.js";

/** The server's own stderr lines that parse as JSON objects. */
function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("the server's own logs (§4.1 COG_LOG_LEVEL, LOG_FORMAT)", () => {
  it("writes JSON lines by default, at info and above", async () => {
    const server = await startServer("echo");
    try {
      for (let i = 0; i < 3; i++)
        expect((await request(`${server.url}/predictions`, { body: { input: { text: "x" } } })).body.status).toBe(
          "succeeded",
        );
      const lines = jsonLines(server.output());
      // One line per change of state, not one per prediction that frees a slot.
      expect(lines.filter((l) => l.message === "setup succeeded; ready for predictions")).toHaveLength(1);
      expect(lines.map((l) => l.message)).toEqual(
        expect.arrayContaining(["server listening", "setup succeeded; ready for predictions"]),
      );
      for (const line of lines) {
        expect(line).toMatchObject({ level: "info", logger: "cogts.server" });
        expect(Number.isNaN(Date.parse(line.timestamp as string))).toBe(false);
      }
    } finally {
      await server.stop();
    }
  });

  it("writes console lines with LOG_FORMAT=console, and nothing below COG_LOG_LEVEL", async () => {
    const server = await startServer("echo", { env: { LOG_FORMAT: "console", COG_LOG_LEVEL: "warning" } });
    try {
      expect((await request(`${server.url}/predictions`, { body: { input: { text: "x" } } })).body.status).toBe(
        "succeeded",
      );
      // The predictor's own setup output still reaches setup.logs; the server said nothing at info.
      expect(server.output()).not.toContain("server listening");
      expect(server.output()).not.toMatch(/^\{/m);
    } finally {
      await server.stop();
    }
  });

  it("warns, without the webhook's query string, when the terminal webhook is refused", async () => {
    const server = await startServer("echo", { env: { LOG_FORMAT: "console" } });
    // A 400 is not retried (only network errors, 429 and 5xx are): the terminal webhook is given up at once.
    const hook = await startReceiver(() => ({ status: 400 }));
    try {
      const r = await request(`${server.url}/predictions`, {
        body: { input: { text: "x" }, webhook: `${hook.url}/hook?token=s3cret` },
        headers: { prefer: "respond-async" },
      });
      expect(r.status).toBe(202);
      await expect
        .poll(() => server.output(), { timeout: 10_000, interval: 50 })
        .toContain("the terminal webhook was not delivered");
      const line = server
        .output()
        .split("\n")
        .find((l) => l.includes("not delivered"))!;
      expect(line).toMatch(/^cogts: warn: /);
      expect(line).toContain(`webhook=${hook.url}/hook`);
      expect(line).toContain("attempts=1 error=HTTP 400");
      expect(line).not.toContain("s3cret");
      expect((await server.health()).status).toBe("READY");
    } finally {
      await hook.close();
      await server.stop();
    }
  });
});
