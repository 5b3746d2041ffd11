import { describe, expect, it } from "vitest";
import { PredictionService, type AdmitRequest, type ServiceSettings } from "./service.js";
import { FakeWorker } from "./fake-worker.js";
import { compileInputValidator } from "../validate.js";
import type { ParameterPlan } from "../protocol/index.js";

const OPENAPI = {
  components: {
    schemas: {
      Input: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    },
  },
};

function makeService(overrides: Partial<ServiceSettings> = {}, parameters: ParameterPlan[] = []) {
  const worker = new FakeWorker();
  const service = new PredictionService(
    {
      mode: "predict",
      worker: { parameters, outputDir: "/nonexistent" },
      maxConcurrency: 1,
      throttle: 0,
      webhookRetryBaseMs: 1,
      historyCapacity: 1024,
      download: { maxBytes: 1024, timeoutMs: 2000, userAgent: "test", allowLocalPaths: false },
      version: "test",
      ...overrides,
    },
    worker,
  );
  service.setValidator("predictions", compileInputValidator(OPENAPI, "Input"));
  return { worker, service };
}

const request = (body: Record<string, unknown>, extra: Partial<AdmitRequest> = {}): AdmitRequest => ({
  kind: "predictions",
  body,
  headers: {},
  ...extra,
});

describe("PredictionService admission", () => {
  it("refuses before setup with notReady (503)", () => {
    const { worker, service } = makeService();
    worker.state = "starting";
    const admission = service.admit(request({ input: { text: "hi" } }));
    expect(admission).toMatchObject({ outcome: "refused", error: { code: "notReady", status: 503 } });
  });

  it("validates before it looks at readiness: a bad input is a 422 even before setup", () => {
    const { worker, service } = makeService();
    worker.state = "starting";
    const admission = service.admit(request({ input: {} }));
    expect(admission).toMatchObject({ outcome: "refused", error: { code: "invalidInput", status: 422 } });
  });

  it("refuses a second prediction with atCapacity (409) while the slot is busy", () => {
    const { service } = makeService();
    const first = service.admit(request({ input: { text: "a" } }));
    expect(first.outcome).toBe("created");
    expect(service.admit(request({ input: { text: "b" } }))).toMatchObject({
      outcome: "refused",
      error: { code: "atCapacity", status: 409 },
    });
  });

  it("refuses an id already running when there is room (duplicateId)", () => {
    const { service } = makeService({ maxConcurrency: 2 });
    service.admit(request({ id: "same", input: { text: "a" } }));
    expect(service.admit(request({ id: "same", input: { text: "b" } }))).toMatchObject({
      outcome: "refused",
      error: { code: "duplicateId" },
    });
  });

  it("answers an idempotent PUT of a running id with that prediction", () => {
    const { service } = makeService();
    const first = service.admit(request({ input: { text: "a" } }, { pathId: "p1" }));
    const again = service.admit(request({ input: { text: "a" } }, { pathId: "p1" }));
    expect(first.outcome).toBe("created");
    expect(again.outcome).toBe("existing");
    if (first.outcome === "created" && again.outcome === "existing")
      expect(again.prediction).toBe(first.entry.prediction);
  });

  it("refuses a body id that differs from the URL's, and the other kind of request", () => {
    const { service } = makeService();
    expect(service.admit(request({ id: "b", input: { text: "a" } }, { pathId: "a" }))).toMatchObject({
      error: { code: "idMismatch" },
    });
    expect(service.admit(request({ input: {} }, { kind: "trainings" }))).toMatchObject({
      error: { code: "wrongMode", status: 404 },
    });
  });
});

describe("PredictionService runs", () => {
  it("ends a prediction answered synchronously by the worker before run() returns (no promise on the hot path)", () => {
    const { worker, service } = makeService();
    worker.autoAnswer = (message) => `hello ${(message.input as { text: string }).text}`;
    const admission = service.admit(request({ input: { text: "x" } }));
    if (admission.outcome !== "created") throw new Error("not created");
    let ended = false;
    service.run(admission.entry, () => (ended = true));
    expect(ended).toBe(true);
    expect(admission.entry.prediction.snapshot()).toMatchObject({ status: "succeeded", output: "hello x" });
    expect(service.running.size).toBe(0);
  });

  it("passes a cancel to the worker and frees the slot when the worker ends the prediction", () => {
    const { worker, service } = makeService();
    const admission = service.admit(request({ input: { text: "x" } }));
    if (admission.outcome !== "created") throw new Error("not created");
    service.run(admission.entry, () => undefined);
    const id = admission.entry.prediction.id;
    expect(service.cancelById(id)).toBe(true);
    expect(worker.canceled).toEqual([id]);
    worker.end(id, "canceled");
    expect(admission.entry.prediction.status).toBe("canceled");
    expect(service.cancelById(id)).toBe(false);
    expect(service.cancelById("unknown")).toBe(false);
  });

  it("reports health: READY runs the user healthcheck, BUSY when every slot is taken, STARTING, SETUP_FAILED", async () => {
    const { worker, service } = makeService();
    expect(await service.health()).toMatchObject({ status: "READY" });
    worker.healthError = "disk full";
    expect(await service.health()).toMatchObject({ status: "UNHEALTHY", user_healthcheck_error: "disk full" });
    worker.healthError = undefined;
    service.admit(request({ input: { text: "x" } }));
    expect(await service.health()).toMatchObject({ status: "BUSY" });
    worker.state = "starting";
    expect(await service.health()).toMatchObject({ status: "STARTING" });
    worker.state = "setup_failed";
    expect(await service.health()).toMatchObject({ status: "SETUP_FAILED" });
  });
});

describe("PredictionService, Cog 0.22 parity (issue 15)", () => {
  const created = (service: PredictionService, body: Record<string, unknown>) => {
    const admission = service.admit(request(body));
    if (admission.outcome !== "created") throw new Error(`not created: ${JSON.stringify(admission)}`);
    return admission.entry;
  };

  it("ends a canceled prediction canceled even when the predictor ignores the signal and returns", () => {
    const { worker, service } = makeService();
    const entry = created(service, { input: { text: "x" } });
    service.run(entry, () => undefined);
    service.cancelById(entry.prediction.id);
    worker.succeed(entry.prediction.id, "finished anyway");
    expect(entry.prediction.snapshot()).toMatchObject({ status: "canceled", output: null });
  });

  it("ends a canceled prediction canceled when the predictor fails after the cancel", () => {
    const { worker, service } = makeService();
    const entry = created(service, { input: { text: "x" } });
    service.run(entry, () => undefined);
    service.cancelById(entry.prediction.id);
    worker.end(entry.prediction.id, "failed", "interrupted");
    expect(entry.prediction.status).toBe("canceled");
  });

  it("runs the user healthcheck while busy, and UNHEALTHY outranks BUSY", async () => {
    const { worker, service } = makeService();
    created(service, { input: { text: "x" } });
    expect(await service.health()).toMatchObject({ status: "BUSY" });
    expect(worker.healthchecks).toBe(1);
    worker.healthError = "user-defined healthcheck returned false";
    expect(await service.health()).toMatchObject({
      status: "UNHEALTHY",
      user_healthcheck_error: "user-defined healthcheck returned false",
    });
  });

  it("stops admitting on shutdown (503 as before setup) and is drained once running predictions are answered", async () => {
    const { worker, service } = makeService({ maxConcurrency: 2 });
    const entry = created(service, { input: { text: "x" } });
    let answered = false;
    service.run(entry, () => (answered = true));
    service.stopAdmitting();
    expect(service.admit(request({ input: { text: "y" } }))).toMatchObject({
      outcome: "refused",
      error: { code: "notReady", status: 503 },
    });
    let drained = false;
    const draining = service.drained().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(drained).toBe(false);
    expect(worker.canceled).toEqual([]);
    worker.succeed(entry.prediction.id, "done");
    await draining;
    expect(answered).toBe(true);
    expect(entry.prediction.status).toBe("succeeded");
  });

  it("fails a prediction whose input file cannot be downloaded (no refusal: a 200 failed), and refuses one that is not a URL", async () => {
    const path: ParameterPlan = { name: "image", kind: "path", array: false, nullWhenMissing: false };
    const { service } = makeService({}, [path]);
    service.setValidator("predictions", (input) => ({ ok: true, input: input as Record<string, unknown> }));
    const unreachable = created(service, { input: { image: "http://127.0.0.1:1/x.png" } });
    const refusal = await new Promise<string | undefined>((resolve) => service.run(unreachable, resolve));
    expect(refusal).toBeUndefined();
    expect(unreachable.prediction.snapshot()).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/^could not download http:\/\/127\.0\.0\.1:1\/x\.png/),
    });

    const local = created(service, { input: { image: "/etc/passwd" } });
    const refused = await new Promise<string | undefined>((resolve) => service.run(local, resolve));
    expect(refused).toMatch(/is not an http:\/\/, https:\/\/ or data: URL/);
    expect(local.prediction.status).toBe("failed");
  });
});
