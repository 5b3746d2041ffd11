import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "./helpers.js";
import { request } from "../helpers/http.js";

describe("the HTTP API on the echo predictor", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("echo");
  });
  afterAll(() => server.stop());

  it("answers a sync prediction with Cog's body plus the legacy fields", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { text: "hi" } } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ output: "hi", status: "succeeded", logs: "", input: { text: "hi" } });
    expect(r.body.id).toMatch(/^pred_[0-9a-f]+$/);
    expect((r.body.metrics as Record<string, unknown>).predict_time).toEqual(expect.any(Number));
    for (const key of ["created_at", "started_at", "completed_at"])
      expect(r.body[key]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  });

  it("keeps the client's id", async () => {
    const r = await request(`${server.url}/predictions`, {
      body: { id: "client-id-1", input: { text: "x" }, created_at: "2024-01-02T03:04:05Z" },
    });
    expect(r.body).toMatchObject({ id: "client-id-1", output: "x" });
  });

  it("treats no body, {} and input null as an empty input (defaults apply)", async () => {
    for (const raw of ["", "{}", '{"input": null}']) {
      const r = await request(`${server.url}/predictions`, { raw });
      expect(r.status, raw).toBe(200);
      expect(r.body.output, raw).toBe("hello");
    }
    const none = await fetch(`${server.url}/predictions`, { method: "POST" });
    expect(((await none.json()) as Record<string, unknown>).output).toBe("hello");
  });

  it("drops unknown input keys silently", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { text: "extra", bogus: 1 } } });
    expect(r.body).toMatchObject({ status: "succeeded", output: "extra", input: { text: "extra" } });
  });

  it("answers 422 in Cog's shape for a wrong type", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { text: 5 } } });
    expect(r.status).toBe(422);
    expect(r.body).toEqual({
      detail: [{ loc: ["body", "input", "text"], msg: '5 is not of type "string"', type: "value_error" }],
    });
  });

  it("answers 400 with a JSON error for malformed JSON", async () => {
    const r = await request(`${server.url}/predictions`, { raw: '{"input": ' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/invalid JSON/);
  });

  it("serves the discovery document with the exact key set (no training keys)", async () => {
    const r = await request(`${server.url}/`);
    expect(Object.keys(r.body).sort()).toEqual(
      [
        "cog_version",
        "docs_url",
        "openapi_url",
        "shutdown_url",
        "healthcheck_url",
        "predictions_url",
        "predictions_idempotent_url",
        "predictions_cancel_url",
      ].sort(),
    );
    expect(r.body.predictions_cancel_url).toBe("/predictions/{prediction_id}/cancel");
  });

  it("serves the bundled schema at /openapi.json once ready", async () => {
    const r = await request(`${server.url}/openapi.json`);
    expect(r.status).toBe(200);
    expect((r.body.components as { schemas: Record<string, unknown> }).schemas.Input).toBeDefined();
  });

  it("reports READY with setup logs and versions", async () => {
    const r = await request(`${server.url}/health-check`);
    expect(r.body).toMatchObject({
      status: "READY",
      setup: { status: "succeeded", logs: "echo setup done\n" },
      version: { coglet: expect.any(String) },
    });
    expect((r.body.setup as Record<string, string>).started_at).toMatch(/Z$/);
  });

  it("answers 404 for unknown paths and cancel of an unknown id, 405 for a wrong method", async () => {
    expect((await request(`${server.url}/docs`)).status).toBe(404);
    expect((await request(`${server.url}/predictions/nope`, { method: "GET" })).status).toBe(405);
    expect((await request(`${server.url}/health-check`, { method: "POST", raw: "" })).status).toBe(405);
    const cancel = await request(`${server.url}/predictions/unknown/cancel`, { method: "POST", raw: "" });
    expect(cancel.status).toBe(404);
    expect(cancel.body).toEqual({});
  });

  it("rejects a PUT whose body id differs from the URL", async () => {
    const r = await request(`${server.url}/predictions/abc`, { method: "PUT", body: { id: "xyz", input: {} } });
    expect(r.status).toBe(422);
    expect(r.body).toEqual({
      detail: [
        { loc: ["body", "id"], msg: "prediction ID must match the ID supplied in the URL", type: "value_error" },
      ],
    });
  });

  it("runs a PUT prediction under the URL's id", async () => {
    const r = await request(`${server.url}/predictions/put-1`, { method: "PUT", body: { input: { text: "p" } } });
    expect(r.body).toMatchObject({ id: "put-1", output: "p", status: "succeeded" });
  });

  it("answers 404 with a hint for /trainings on a server in predict mode", async () => {
    const r = await request(`${server.url}/trainings`, { body: { input: {} } });
    expect(r.status).toBe(404);
    expect(r.body.detail).toMatch(/--x-mode train/);
  });

  it("answers 406 to SSE when the model does not stream, and to SSE on trainings", async () => {
    const r = await request(`${server.url}/predictions`, {
      body: { input: {} },
      headers: { accept: "text/event-stream" },
    });
    expect(r.status).toBe(406);
    expect(r.body.error).toMatch(/does not support streaming/);
    const t = await request(`${server.url}/trainings`, {
      body: { input: {} },
      headers: { accept: "text/event-stream" },
    });
    expect(t.status).toBe(406);
  });

  it("answers 413 above the 100 MiB body limit and accepts a large body below it", async () => {
    const { request: rawRequest } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = rawRequest(
        `${server.url}/predictions`,
        {
          method: "POST",
          headers: { "content-type": "application/json", "content-length": String(101 * 1024 * 1024) },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on("error", reject);
      req.write("{");
    });
    expect(status).toBe(413);
    const text = "y".repeat(20 * 1024 * 1024);
    const ok = await request(`${server.url}/predictions`, { body: { input: { text } } });
    expect(ok.status).toBe(200);
    expect((ok.body.output as string).length).toBe(text.length);
  });
});

describe("inputs, outputs and secrets", () => {
  it("maps inputs to arguments in x-order, with defaults and null for an omitted nullable", async () => {
    const server = await startServer("constraints");
    try {
      const r = await request(`${server.url}/predictions`, { body: { input: { prompt: "hey", sizes: [1, 2] } } });
      expect(r.body.output).toEqual({
        prompt: "hey",
        steps: 5,
        scale: 1.5,
        scheduler: "ddim",
        code: "ab12",
        sizes: [1, 2],
        note: null,
      });
      const bad = await request(`${server.url}/predictions`, { body: { input: { steps: 11, scheduler: "x" } } });
      expect(bad.status).toBe(422);
      const detail = bad.body.detail as { loc: string[]; type: string }[];
      expect(detail.slice(0, 2)).toEqual([
        { loc: ["body", "input", "prompt"], msg: "Field required", type: "value_error.missing" },
        { loc: ["body", "input", "sizes"], msg: "Field required", type: "value_error.missing" },
      ]);
      expect(
        detail
          .slice(2)
          .map((d) => d.loc[2])
          .sort(),
      ).toEqual(["scheduler", "steps"]);
      const explicitNull = await request(`${server.url}/predictions`, {
        body: { input: { prompt: "hey", sizes: [], scale: null } },
      });
      expect(explicitNull.status).toBe(422);
    } finally {
      await server.stop();
    }
  });

  it("returns object outputs whole, falsy values kept", async () => {
    const server = await startServer("object");
    try {
      const r = await request(`${server.url}/predictions`, { body: { input: { text: "" } } });
      expect(r.body.output).toEqual({ text: "", length: 0, tags: ["a", "b"], empty: "", zero: 0, no: false });
    } finally {
      await server.stop();
    }
  });

  it("never shows a secret's value in the input, logs or output", async () => {
    const server = await startServer("secrets");
    try {
      const r = await request(`${server.url}/predictions`, { body: { input: { token: "hunter2-secret" } } });
      expect(r.text).not.toContain("hunter2-secret");
      expect(r.body).toMatchObject({
        status: "succeeded",
        input: { token: "**********" },
        output: { echoed: "raw=**********", masked: "**********", optionalIsNull: true, length: 14 },
      });
      expect(r.body.logs).toBe("token is ********** and prints as **********\n");
    } finally {
      await server.stop();
    }
  });
});
