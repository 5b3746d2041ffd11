/**
 * Webhook deliveries are bounded when a receiver hangs (issue 14, item 16): a receiver that accepts connections
 * and never answers costs the server at most a few sockets and a bounded queue, however many events there are.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer } from "../server/helpers.js";
import { request } from "../helpers/http.js";
import { MB, watchMemory } from "../helpers/memory.js";
import { startReady } from "./helpers.js";

/** At most this many connections to one receiver (runtime/server/webhook-delivery.ts). */
const MAX_PER_ORIGIN = 8;

describe("webhooks to a receiver that hangs", () => {
  let hang: Server;
  let url: string;
  const sockets = new Set<Socket>();
  let connections = 0;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    hang = createServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
      socket.resume();
    });
    await new Promise<void>((resolve) => hang.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(hang.address() as { port: number }).port}/hook`;
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    for (const socket of sockets) socket.destroy();
    connections = 0;
  });
  afterAll(async () => {
    await new Promise((resolve) => hang.close(resolve));
  });

  it("opens a bounded number of connections for an iterator of 300 outputs", async () => {
    server = await startReady("stream");
    const watch = watchMemory(server.process.pid!, { limitBytes: 300 * MB });
    const r = await request(`${server.url}/predictions`, {
      body: { input: { count: 300 }, webhook: url, webhook_events_filter: ["output", "completed"] },
      headers: { prefer: "respond-async" },
    });
    expect(r.status).toBe(202);
    await server.waitFor("READY", 60_000);
    // Let the server open whatever it is going to open.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    watch.check();
    expect(connections).toBeGreaterThan(0);
    expect(connections).toBeLessThanOrEqual(MAX_PER_ORIGIN);
    expect((await server.health()).status).toBe("READY");
  }, 120_000);

  it("opens a bounded number of connections for 40 predictions with webhooks", async () => {
    server = await startReady("sleep");
    for (let i = 0; i < 40; i++) {
      const r = await request(`${server.url}/predictions`, {
        body: { input: { seconds: 0 }, webhook: url },
        headers: { prefer: "respond-async" },
      });
      expect(r.status).toBe(202);
      await server.waitFor("READY", 30_000);
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(connections).toBeLessThanOrEqual(MAX_PER_ORIGIN);
    // Still answering predictions and health checks.
    const sync = await request(`${server.url}/predictions`, { body: { input: { seconds: 0 } } });
    expect(sync.body.status).toBe("succeeded");
  }, 180_000);
});
