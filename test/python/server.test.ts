/**
 * The cogts server with the Python worker (runtime/python/cog/_worker.py), over real processes and HTTP: setup,
 * predictions, logs in order, metrics, secrets, files in and out, BaseModel and iterator outputs, cancellation
 * with Cog's semantics, async concurrency, crash recovery and setup failure; an empty stream is [] on every route.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSchema } from "../../src/schema/index.js";
import { ROOT, startServerIn, type RunningServer } from "../server/helpers.js";
import { request } from "../helpers/http.js";
import { startReceiver } from "../helpers/receiver.js";
import { readSseEvents } from "../helpers/sse.js";
import { startPython } from "./helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dataUrl = (text: string) => `data:text/plain;base64,${Buffer.from(text).toString("base64")}`;

describe("Python worker: a synchronous predictor", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startPython("features", { env: { COGTS_CANCEL_GRACE_SECONDS: "5" } });
  });
  afterAll(() => server.stop());

  it("runs setup once (its prints are the setup logs) and predicts, importing the project's own module", async () => {
    const health = await server.health();
    expect((health.setup as Record<string, unknown>).logs).toContain("features setup ran");
    const r = await request(`${server.url}/predictions`, { body: { input: { text: "héllo ✓" } } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: "succeeded", output: "HÉLLO ✓" });
  });

  it("collects prints, the logging module and a subprocess's output as the prediction's logs, in order", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { mode: "logs" } } });
    expect(r.body.status).toBe("succeeded");
    const logs = r.body.logs as string;
    for (const line of ["one\n", "two from logging\n", "three from a subprocess\n", "four\n", "five\n"])
      expect(logs).toContain(line);
    // Within one stream the order is the order of writing (stderr lines interleave by arrival).
    expect(logs.indexOf("one\n")).toBeLessThan(logs.indexOf("three from a subprocess\n"));
    expect(logs.indexOf("three from a subprocess\n")).toBeLessThan(logs.indexOf("five\n"));
  });

  it("records metrics through current_scope() and emit_metric (replace, incr, append)", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { mode: "metrics" } } });
    expect(r.body.metrics).toMatchObject({ tokens: 7, seen: ["a"], label: "done", predict_time: expect.any(Number) });
  });

  it("masks a Secret input in the output and in the logs", async () => {
    const r = await request(`${server.url}/predictions`, {
      body: { input: { mode: "secret", token: "s3cr3t-value-42" } },
    });
    expect(r.body.output).toEqual({ masked: "**********", length: 15 });
    expect(r.text).not.toContain("s3cr3t-value-42");
  });

  it("returns a BaseModel with a file inside as an object with the file as a data URL", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { mode: "model", text: "a b" } } });
    const output = r.body.output as Record<string, unknown>;
    expect(output).toMatchObject({ text: "a b", tags: ["a", "b"] });
    expect("note" in output).toBe(false); // not given and at its default: left out, as Cog's wire format does
    expect(String(output.file)).toMatch(/^data:text\/plain(;charset=utf-8)?;base64,/);
    expect(Buffer.from(String(output.file).split(",")[1]!, "base64").toString()).toBe("a b");
  });

  it("opens a legacy File input as a binary file", async () => {
    const r = await request(`${server.url}/predictions`, {
      body: { input: { mode: "legacy_file", document: dataUrl("file body") } },
    });
    expect(r.body).toMatchObject({ status: "succeeded", output: "file body" });
  });

  it("passes the request's context to current_scope().context", async () => {
    const r = await request(`${server.url}/predictions`, {
      body: { input: { mode: "context" }, context: { user: "u1" } },
    });
    expect(r.body.output).toEqual({ user: "u1" });
  });

  it("fails a prediction that raises, with the message, and keeps serving", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { mode: "fail" } } });
    expect(r.body).toMatchObject({ status: "failed", error: "failed on purpose" });
    expect(r.body.logs).toContain("ValueError: failed on purpose");
    expect((await request(`${server.url}/predictions`, { body: { input: { text: "ok" } } })).body.output).toBe("OK");
  });

  it("cancels a running sync prediction by raising CancelationException inside predict()", async () => {
    const hook = await startReceiver();
    try {
      const started = await request(`${server.url}/predictions`, {
        body: {
          id: "py-c1",
          input: { mode: "sleep", seconds: 20 },
          webhook: `${hook.url}/hook`,
          webhook_events_filter: ["completed"],
        },
        headers: { prefer: "respond-async" },
      });
      expect(started.status).toBe(202);
      await sleep(300);
      const t0 = Date.now();
      expect((await request(`${server.url}/predictions/py-c1/cancel`, { method: "POST", raw: "" })).status).toBe(200);
      await hook.waitFor((got) => got.length >= 1, 5000);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(hook.received[0]!.json).toMatchObject({ id: "py-c1", status: "canceled" });
      expect(hook.received[0]!.json!.logs).toContain("caught CancelationException\n");
    } finally {
      await hook.close();
    }
    await server.waitFor("READY", 5000);
    const again = await request(`${server.url}/predictions`, { body: { input: { mode: "logs" } } });
    expect(again.body.status).toBe("succeeded");
    // The worker was not killed: setup did not run again (calls count on).
    expect((await server.health()).setup).toMatchObject({ status: "succeeded" });
  });

  it("restarts a worker that dies mid-prediction; the prediction fails and the next one succeeds", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { mode: "crash" } } });
    expect(r.body.status).toBe("failed");
    expect(String(r.body.error)).toContain("exited with code 3");
    await server.waitFor("READY", 20_000);
    expect((await request(`${server.url}/predictions`, { body: { input: { text: "back" } } })).body.output).toBe(
      "BACK",
    );
  });
});

describe("Python worker: the predictors Cog's server was recorded with", () => {
  it("files: a Path input arrives as a local file, a Path output leaves as a file", async () => {
    const server = await startPython("files");
    try {
      const r = await request(`${server.url}/predictions`, { body: { input: { document: dataUrl("abc") } } });
      expect(r.body.status).toBe("succeeded");
      expect(Buffer.from(String(r.body.output).split(",")[1]!, "base64").toString()).toBe("cba");
      expect(r.body.logs).toContain("read 3 chars from");
    } finally {
      await server.stop();
    }
  });

  it("iterator: a sync generator's items are the output list", async () => {
    const server = await startPython("iterator");
    try {
      const r = await request(`${server.url}/predictions`, { body: { input: { count: 3 } } });
      expect(r.body).toMatchObject({ status: "succeeded", output: ["item-0", "item-1", "item-2"] });
      expect(r.body.logs).toBe("yielding item 0\nyielding item 1\nyielding item 2\n");
    } finally {
      await server.stop();
    }
  });

  it("setup_fail: health reports SETUP_FAILED with the setup's logs and the error", async () => {
    const server = await startPython("setup_fail", { waitFor: "SETUP_FAILED" });
    try {
      const setup = (await server.health()).setup as Record<string, string>;
      expect(setup.status).toBe("failed");
      expect(setup.logs).toContain("about to fail in setup");
      expect(setup.logs).toContain("setup exploded on purpose");
    } finally {
      await server.stop();
    }
  });
});

describe("Python worker: an async predictor", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startPython("async_features", { env: { COG_MAX_CONCURRENCY: "2" } });
  });
  afterAll(() => server.stop());

  it("runs async setup, then two predictions at once (concurrency.max 2), each with its own logs and metrics", async () => {
    expect(((await server.health()).setup as Record<string, unknown>).logs).toContain("async setup ran");
    const t0 = Date.now();
    const [a, b] = await Promise.all([
      request(`${server.url}/predictions`, { body: { input: { seconds: 1, label: "a" } } }),
      request(`${server.url}/predictions`, { body: { input: { seconds: 1, label: "b" } } }),
    ]);
    expect(Date.now() - t0).toBeLessThan(1900);
    expect(a.body).toMatchObject({
      status: "succeeded",
      output: "slept a",
      logs: "start a\nend a\n",
      metrics: { label: "a" },
    });
    expect(b.body).toMatchObject({
      status: "succeeded",
      output: "slept b",
      logs: "start b\nend b\n",
      metrics: { label: "b" },
    });
  });

  it("cancels an async prediction by cancelling its task; the other one runs on", async () => {
    const hook = await startReceiver();
    try {
      await request(`${server.url}/predictions`, {
        body: {
          id: "pa",
          input: { seconds: 20, label: "long" },
          webhook: `${hook.url}/hook`,
          webhook_events_filter: ["completed"],
        },
        headers: { prefer: "respond-async" },
      });
      const other = request(`${server.url}/predictions`, { body: { input: { seconds: 0.5, label: "short" } } });
      await sleep(200);
      expect((await request(`${server.url}/predictions/pa/cancel`, { method: "POST", raw: "" })).status).toBe(200);
      await hook.waitFor((got) => got.length >= 1, 5000);
      expect(hook.received[0]!.json).toMatchObject({ id: "pa", status: "canceled" });
      expect(hook.received[0]!.json!.logs).toBe("start long\ntask of long cancelled\n");
      expect((await other).body).toMatchObject({
        status: "succeeded",
        output: "slept short",
        logs: "start short\nend short\n",
      });
    } finally {
      await hook.close();
    }
    await server.waitFor("READY", 5000);
  });
});

describe("Python worker: an async generator on BaseRunner.run", () => {
  it("streams AsyncConcatenateIterator chunks as the output list", async () => {
    const server = await startPython("async_stream");
    try {
      const r = await request(`${server.url}/predictions`, { body: { input: { count: 3 } } });
      expect(r.body).toMatchObject({ status: "succeeded", output: ["tok0 ", "tok1 ", "tok2 "] });
    } finally {
      await server.stop();
    }
  });
});

describe("Python worker: a @cog.streaming predictor that yields nothing", () => {
  it("answers [] (Cog), not null, over HTTP, SSE and webhooks", async () => {
    const server = await startPython("streaming");
    const hook = await startReceiver();
    try {
      const sync = await request(`${server.url}/predictions`, { body: { input: { count: 0 } } });
      expect(sync.body).toMatchObject({ status: "succeeded", output: [] });
      const sse = await fetch(`${server.url}/predictions`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ input: { count: 0 } }),
      });
      expect(sse.status).toBe(200);
      const events = await readSseEvents<Record<string, unknown>>(sse);
      expect(events.at(-1)).toMatchObject({ event: "completed", data: { status: "succeeded", output: [] } });
      await request(`${server.url}/predictions`, {
        body: { input: { count: 0 }, webhook: `${hook.url}/h` },
        headers: { prefer: "respond-async" },
      });
      await hook.waitFor((got) => got.some((g) => g.json?.status === "succeeded"));
      expect(hook.received.find((g) => g.json?.status === "succeeded")!.json!.output).toEqual([]);
    } finally {
      await hook.close();
      await server.stop();
    }
  });
});

describe("Python worker: train mode", () => {
  it("runs a train() function on POST /trainings and returns its BaseModel with a file", async () => {
    const dir = join(ROOT, "fixtures", "schema", "py_train");
    const document = await generateSchema({ dir, predict: "predict.py:Predictor", train: "train.py:train" });
    const file = join(mkdtempSync(join(tmpdir(), "cogts-pytrain-")), "openapi.json");
    writeFileSync(file, JSON.stringify(document));
    const server = await startServerIn(dir, {
      args: ["--x-mode", "train"],
      env: {
        COG_OPENAPI_SCHEMA: file,
        COG_TRAIN_TYPE_STUB: "train.py:train",
        COG_PREDICT_TYPE_STUB: "predict.py:Predictor",
      },
    });
    try {
      const r = await request(`${server.url}/trainings`, { body: { input: { data: dataUrl("weights!") } } });
      expect(r.body.status).toBe("succeeded");
      const weights = String((r.body.output as Record<string, unknown>).weights);
      expect(Buffer.from(weights.split(",")[1]!, "base64").toString()).toBe("weights!");
    } finally {
      await server.stop();
    }
  });
});
