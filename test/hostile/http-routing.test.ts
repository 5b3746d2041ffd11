/**
 * Routing is linear in the URL (issue 14, item 7): a 16 000-character path of slashes costs about what a short
 * path does. Trailing slashes were stripped with /\/+$/, which backtracks from every slash of a run: quadratic.
 * Measured as a ratio of medians in the same test, requests interleaved, so the machine's load cancels out.
 */
import { request as httpRequest, Agent } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../server/helpers.js";
import { startReady } from "./helpers.js";

function timedGet(agent: Agent, port: number, path: string): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest({ host: "127.0.0.1", port, path, agent, timeout: 30_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode!, ms: performance.now() - started }));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.end();
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe("routing cost", () => {
  let server: RunningServer;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  beforeAll(async () => {
    server = await startReady("echo");
  });
  afterAll(async () => {
    agent.destroy();
    await server.stop();
  });

  it("costs about the same for a 16 000-character path of slashes as for a short one", async () => {
    // Under the 16 KiB header limit of node:http, with the request line and headers.
    const slashes = "/".repeat(16_000);
    const shapes: [string, string, number][] = [
      ["/x", `${slashes}x`, 404],
      ["/predictions/x/y", `/predictions${slashes}x/cancel`, 404],
      ["/", slashes, 200],
      ["/predictions/", `/predictions${slashes}`, 405],
    ];
    for (const [short, long, status] of shapes) {
      expect((await timedGet(agent, server.port, short)).status).toBe(status);
      expect((await timedGet(agent, server.port, long)).status).toBe(status);
    }
    const times = shapes.map(() => ({ short: [] as number[], long: [] as number[] }));
    const deadline = Date.now() + 30_000;
    for (let round = 0; round < 10 && Date.now() < deadline; round++) {
      for (const [i, [short, long]] of shapes.entries()) {
        times[i]!.short.push((await timedGet(agent, server.port, short)).ms);
        times[i]!.long.push((await timedGet(agent, server.port, long)).ms);
      }
    }
    // Per shape: a run of slashes followed by more path was the quadratic case, a run at the end was not.
    const ratios = times.map((t) => median(t.long) / median(t.short));
    console.log(
      `long/short median ratio per shape: ${ratios.map((r) => r.toFixed(1)).join(", ")} (${times[0]!.long.length} rounds)`,
    );
    // Linear: the 16 KB request line costs a little more to send and parse. Quadratic: a hundred times more.
    for (const [i, ratio] of ratios.entries()) expect(ratio, shapes[i]![1].slice(-12)).toBeLessThan(10);
  }, 120_000);
});
