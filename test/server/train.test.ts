import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "./helpers.js";
import { request } from "../helpers/http.js";

describe("--x-mode train", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("train", {
      args: ["--x-mode", "train"],
      env: { COG_TRAIN_TYPE_STUB: "train.ts:Trainer" },
    });
  });
  afterAll(() => server.stop());

  it("lists the training URLs in the discovery document", async () => {
    const r = await request(`${server.url}/`);
    expect(r.body).toMatchObject({
      trainings_url: "/trainings",
      trainings_idempotent_url: "/trainings/{training_id}",
      trainings_cancel_url: "/trainings/{training_id}/cancel",
    });
  });

  it("runs train() validated against TrainingInput, with file outputs as data URLs", async () => {
    const r = await request(`${server.url}/trainings`, { body: { input: { epochs: 3 } } });
    expect(r.body).toMatchObject({ status: "succeeded", logs: "training for 3 epochs\n" });
    expect((r.body.output as { weights: string }).weights).toBe(
      `data:application/octet-stream;base64,${Buffer.from("epochs=3").toString("base64")}`,
    );
    const bad = await request(`${server.url}/trainings`, { body: { input: {} } });
    expect(bad.status).toBe(422);
    expect(bad.body).toEqual({
      detail: [{ loc: ["body", "input", "epochs"], msg: "Field required", type: "value_error.missing" }],
    });
  });

  it("checks the training id of an idempotent PUT", async () => {
    const r = await request(`${server.url}/trainings/t1`, { method: "PUT", body: { id: "t2", input: { epochs: 1 } } });
    expect(r.status).toBe(422);
    expect((r.body.detail as { msg: string }[])[0]!.msg).toBe("training ID must match the ID supplied in the URL");
    const ok = await request(`${server.url}/trainings/t1`, { method: "PUT", body: { input: { epochs: 1 } } });
    expect(ok.body).toMatchObject({ id: "t1", status: "succeeded" });
  });
});

describe("context", () => {
  it("gives the request's context to the predictor through currentScope()", async () => {
    const server = await startServer("train");
    try {
      const r = await request(`${server.url}/predictions`, { body: { input: {}, context: { user: "u1" } } });
      expect(r.body.output).toBe('ctx:{"user":"u1"}');
      const bad = await request(`${server.url}/predictions`, { body: { input: {}, context: { user: 1 } } });
      expect(bad.status).toBe(422);
    } finally {
      await server.stop();
    }
  });
});
