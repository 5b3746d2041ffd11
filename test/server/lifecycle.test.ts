import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startServer } from "./helpers.js";
import { request } from "../helpers/http.js";
import { startReceiver } from "../helpers/receiver.js";

describe("setup, health and shutdown", () => {
  it("is STARTING during setup: predictions get 503, /openapi.json 503, setup logs grow", async () => {
    const server = await startServer("setup_slow", { env: { SETUP_SECONDS: "30" }, waitFor: null });
    try {
      const health = await server.waitFor("STARTING");
      expect(health.setup).toMatchObject({ status: "starting" });
      const r = await request(`${server.url}/predictions`, { body: { input: {} } });
      expect(r.status).toBe(503);
      expect(r.body).toEqual({
        error: "Setup has not finished yet. Wait until it has finished, or GET /health-check for status.",
        status: "failed",
      });
      const schema = await request(`${server.url}/openapi.json`);
      expect(schema.status).toBe(503);
      expect(schema.body).toEqual({ error: "OpenAPI schema not available" });
    } finally {
      await server.stop();
    }
  });

  it("reports SETUP_FAILED when COG_SETUP_TIMEOUT is exceeded", async () => {
    const server = await startServer("setup_slow", {
      env: { SETUP_SECONDS: "30", COG_SETUP_TIMEOUT: "1" },
      waitFor: "SETUP_FAILED",
    });
    try {
      const health = await request(`${server.url}/health-check`);
      expect(health.body.setup).toMatchObject({ status: "failed" });
      expect((health.body.setup as Record<string, string>).logs).toMatch(
        /Setup failed: setup did not finish within COG_SETUP_TIMEOUT \(1 s\)\n$/,
      );
      expect((await request(`${server.url}/predictions`, { body: {} })).status).toBe(503);
    } finally {
      await server.stop();
    }
  });

  it("reports SETUP_FAILED with the error in the setup logs when setup throws, and keeps serving", async () => {
    const server = await startServer("setup_fail", { waitFor: "SETUP_FAILED" });
    try {
      const health = await request(`${server.url}/health-check`);
      const setup = health.body.setup as Record<string, string>;
      expect(setup.status).toBe("failed");
      expect(setup.logs).toMatch(/^loading weights\n[\s\S]*weights are missing/);
      expect(setup.completed_at).toMatch(/Z$/);
      expect((await request(`${server.url}/predictions`, { body: {} })).status).toBe(503);
      expect((await request(`${server.url}/`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it("reports SETUP_FAILED when the worker exits during setup", async () => {
    const server = await startServer("crash_setup", { waitFor: "SETUP_FAILED" });
    try {
      const setup = (await request(`${server.url}/health-check`)).body.setup as Record<string, string>;
      expect(setup.logs).toMatch(/about to crash\n[\s\S]*exited with code 3 during setup/);
    } finally {
      await server.stop();
    }
  });

  it("reports UNHEALTHY while the user healthcheck() fails, throws or times out, READY otherwise", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cogts-health-"));
    const flag = join(dir, "unhealthy");
    const thrown = join(dir, "throw");
    const server = await startServer("healthcheck", { env: { UNHEALTHY_FLAG: flag, THROW_FLAG: thrown } });
    try {
      expect((await request(`${server.url}/health-check`)).body.status).toBe("READY");
      writeFileSync(flag, "");
      const bad = await request(`${server.url}/health-check`);
      expect(bad.body).toMatchObject({
        status: "UNHEALTHY",
        user_healthcheck_error: "user-defined healthcheck returned false",
      });
      rmSync(flag);
      writeFileSync(thrown, "");
      const threw = await request(`${server.url}/health-check`);
      expect(threw.body).toMatchObject({
        status: "UNHEALTHY",
        user_healthcheck_error: expect.stringContaining("GPU fell off"),
      });
      rmSync(thrown);
      expect((await request(`${server.url}/health-check`)).body.status).toBe("READY");
      // UNHEALTHY is transient: predictions still run.
      expect((await request(`${server.url}/predictions`, { body: {} })).body.status).toBe("succeeded");
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports UNHEALTHY when the user healthcheck() takes longer than its timeout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cogts-health-"));
    const hang = join(dir, "hang");
    const server = await startServer("healthcheck", {
      env: { HANG_FLAG: hang, COGTS_HEALTHCHECK_TIMEOUT_SECONDS: "0.3" },
    });
    try {
      writeFileSync(hang, "");
      const r = await request(`${server.url}/health-check`);
      expect(r.body).toMatchObject({
        status: "UNHEALTHY",
        user_healthcheck_error: "user-defined healthcheck timed out after 0.3 seconds",
      });
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("shuts down on POST /shutdown with 200 {}", async () => {
    const server = await startServer("echo");
    const r = await request(`${server.url}/shutdown`, { raw: "" });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({});
    expect(await server.exited).toBe(0);
  });

  it("exits on SIGTERM, and ignores it with --await-explicit-shutdown true", async () => {
    const plain = await startServer("echo");
    plain.process.kill("SIGTERM");
    expect(await plain.exited).toBe(0);

    const explicit = await startServer("echo", { args: ["--await-explicit-shutdown", "true"] });
    try {
      explicit.process.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 300));
      expect((await request(`${explicit.url}/health-check`)).body.status).toBe("READY");
      await request(`${explicit.url}/shutdown`, { raw: "" });
      expect(await explicit.exited).toBe(0);
    } finally {
      await explicit.stop();
    }
  });

  it("drains on SIGTERM (Cog 0.22): the running prediction finishes and is answered, new ones get 503, then exit 0", async () => {
    const server = await startServer("sleep");
    try {
      const running = request(`${server.url}/predictions`, {
        body: { id: "drained", input: { seconds: 2, steps: 4 } },
      });
      await server.waitFor("BUSY");
      server.process.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 300));
      const refused = await request(`${server.url}/predictions`, { body: { input: { seconds: 0 } } });
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({
        error: "Setup has not finished yet. Wait until it has finished, or GET /health-check for status.",
        status: "failed",
      });
      const answer = await running;
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: "drained", status: "succeeded", output: "slept 2" });
      expect(await server.exited).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it("drains on POST /shutdown too: an async prediction in flight sends its completed webhook before the exit", async () => {
    const server = await startServer("sleep");
    const hook = await startReceiver();
    try {
      const accepted = await request(`${server.url}/predictions`, {
        body: {
          id: "drained-async",
          input: { seconds: 1 },
          webhook: `${hook.url}/h`,
          webhook_events_filter: ["completed"],
        },
        headers: { prefer: "respond-async" },
      });
      expect(accepted.status).toBe(202);
      await server.waitFor("BUSY");
      expect((await request(`${server.url}/shutdown`, { raw: "" })).status).toBe(200);
      expect(await server.exited).toBe(0);
      expect(hook.received.map((r) => r.json)).toEqual([
        expect.objectContaining({ id: "drained-async", status: "succeeded" }),
      ]);
    } finally {
      await hook.close();
      await server.stop();
    }
  });

  it("ends by the signal on SIGTERM during setup (Cog 0.22)", async () => {
    const server = await startServer("setup_slow", { env: { SETUP_SECONDS: "30" }, waitFor: "STARTING" });
    try {
      server.process.kill("SIGTERM");
      expect(await server.exited).toBeNull();
      expect(server.process.signalCode).toBe("SIGTERM");
    } finally {
      await server.stop();
    }
  });

  it("creates the ready file under Kubernetes once READY", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cogts-k8s-"));
    const file = join(dir, "run", "cog", "ready");
    const server = await startServer("echo", { env: { KUBERNETES_SERVICE_HOST: "10.0.0.1", COGTS_READY_FILE: file } });
    try {
      expect(existsSync(file)).toBe(true);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits 1 with a message when the predictor ref is not set", async () => {
    const { spawnSync } = await import("node:child_process");
    const { serverEntry } = await import("./helpers.js");
    const env = { ...process.env };
    delete env.COG_PREDICT_TYPE_STUB;
    const result = spawnSync(process.execPath, [serverEntry()], { env, encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/COG_PREDICT_TYPE_STUB is not set/);
  });
});
