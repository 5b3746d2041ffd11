import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request, startServer, type RunningServer } from "./helpers.js";

describe("echo predictor", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("echo");
  });
  afterAll(() => server.stop());

  it("answers a sync prediction with the Cog response shape", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { text: "hi" } } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ output: "hi", status: "succeeded", logs: "", input: { text: "hi" } });
    expect(typeof r.body.id).toBe("string");
    expect((r.body.metrics as Record<string, unknown>).predict_time).toEqual(expect.any(Number));
    expect(r.body.completed_at).toMatch(/Z$/);
  });

  it("reports READY with the setup logs", async () => {
    const r = await request(`${server.url}/health-check`);
    expect(r.body).toMatchObject({ status: "READY", setup: { status: "succeeded", logs: "echo setup done\n" } });
  });
});
