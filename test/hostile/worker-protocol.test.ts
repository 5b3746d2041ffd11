/**
 * Issue 14 items 8, 12 and 14: a large worker message costs time linear in its size; a malformed line from the
 * worker fails (and restarts) that worker, never the HTTP server; processes the model starts die with its worker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../server/helpers.js";
import { request } from "../helpers/http.js";
import { alive, predict, waitUntil, watchMemory } from "./watch.js";

describe("the worker protocol", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("hostile");
  }, 60_000);
  afterAll(() => server.stop());

  const lines = [
    "this is not JSON",
    "null",
    "[1,2",
    // Well-formed JSON about the running prediction, with fields the server would trip over.
    '{"type":"metric","id":"$ID","name":5,"value":1,"mode":"replace"}',
    '{"type":"done","id":"$ID","status":"succeeded","output":"x","files":"not a list","iterator":false}',
  ];
  for (const line of lines) {
    it(`restarts a worker that sends ${JSON.stringify(line)}, and keeps serving`, async () => {
      const response = await predict(server, { mode: "badline", arg: JSON.stringify({ line }) });
      expect(response.status).toBe(200);
      expect(response.body.status).toBe("failed");
      expect(String(response.body.error)).toContain("worker process");
      expect(server.process.exitCode).toBeNull();
      await server.waitFor("READY", 30_000);
      const next = await predict(server, { mode: "echo", arg: '"after"' });
      expect(next.body).toMatchObject({ status: "succeeded", output: "after" });
    }, 60_000);
  }

  it("reassembles a large output in time linear in its size (4x the size costs well under 16x)", async () => {
    const memory = watchMemory(server, 1500);
    try {
      const timed = async (size: number) => {
        const started = performance.now();
        const response = await predict(server, { mode: "big", size });
        expect(response.body.status).toBe("succeeded");
        expect(String(response.body.output).length).toBe(size);
        return performance.now() - started;
      };
      await timed(1e6);
      const small = Math.min(await timed(10e6), await timed(10e6));
      const large = await timed(40e6);
      expect(large / small).toBeLessThan(8);
      expect(memory.exceeded()).toBe(false);
    } finally {
      memory.stop();
    }
  }, 120_000);

  it("stops the processes the model started when its worker dies", async () => {
    const response = await predict(server, { mode: "spawn" });
    const pid = Number(response.body.output);
    expect(alive(pid)).toBe(true);
    const crash = await predict(server, { mode: "exit" });
    expect(crash.body.status).toBe("failed");
    expect(await waitUntil(() => !alive(pid), 10_000)).toBe(true);
    await server.waitFor("READY", 30_000);
  }, 60_000);

  it("stops the processes the model started on shutdown", async () => {
    const own = await startServer("hostile");
    try {
      const pid = Number((await predict(own, { mode: "spawn" })).body.output);
      expect(alive(pid)).toBe(true);
      expect((await request(`${own.url}/shutdown`, { method: "POST", raw: "" })).status).toBe(200);
      await own.exited;
      expect(await waitUntil(() => !alive(pid), 10_000)).toBe(true);
    } finally {
      await own.stop();
    }
  }, 60_000);

  it("stops the processes the model started when the server itself is killed", async () => {
    const own = await startServer("hostile");
    try {
      const pid = Number((await predict(own, { mode: "spawn" })).body.output);
      expect(alive(pid)).toBe(true);
      own.process.kill("SIGKILL");
      await own.exited;
      expect(await waitUntil(() => !alive(pid), 10_000)).toBe(true);
    } finally {
      await own.stop();
    }
  }, 60_000);
});
