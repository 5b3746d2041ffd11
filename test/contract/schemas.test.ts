/**
 * The wire schemas themselves: each is a valid draft-07 schema with descriptions, its examples fit it, and it
 * rejects the bodies the contract rules out (so a passing check means something).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CONTRACT_SCHEMAS,
  contractForResponse,
  contractProblems,
  expectMatchesContract,
  matchesContract,
  SCHEMAS_DIR,
  type ContractRef,
} from "../helpers/contract.js";

const T0 = "2026-11-24T23:26:01.905Z";
const T1 = "2026-11-24T23:26:01.907Z";
const succeeded = {
  id: "p1",
  status: "succeeded",
  input: { text: "hi" },
  output: "hi",
  logs: "",
  metrics: { predict_time: 0.002 },
  created_at: T0,
  started_at: T0,
  completed_at: T1,
};

function examplesOf(
  node: unknown,
  at: string,
  out: { at: string; example: unknown }[] = [],
): { at: string; example: unknown }[] {
  if (node === null || typeof node !== "object") return out;
  const record = node as Record<string, unknown>;
  if (Array.isArray(record.examples) && (record.type === "object" || record.$ref || record.anyOf || record.required)) {
    for (const example of record.examples) out.push({ at, example });
  }
  for (const [key, value] of Object.entries(record)) if (key !== "examples") examplesOf(value, `${at}/${key}`, out);
  return out;
}

describe("wire schemas", () => {
  it.each(CONTRACT_SCHEMAS)("%s compiles, describes itself and accepts its own examples", (name) => {
    const schema = JSON.parse(readFileSync(join(SCHEMAS_DIR, `${name}.schema.json`), "utf8")) as Record<
      string,
      unknown
    >;
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(typeof schema.description).toBe("string");
    for (const { at, example } of examplesOf(schema, "")) {
      const pointer = at.startsWith("/definitions/") ? `#/definitions/${at.split("/")[2]}` : "";
      expectMatchesContract(`${name}${pointer}` as ContractRef, example, `example at ${name}${at}`);
    }
  });

  it("explains a mismatch with one line per problem and the body", () => {
    expect(() =>
      expectMatchesContract("prediction-response#/definitions/prediction", {
        ...succeeded,
        status: "failed",
        version: null,
      }),
    ).toThrow(
      /^body does not match schemas\/prediction-response\.schema\.json#\/definitions\/prediction:\n {2}\(body\): must have required property 'error' \[[^\]]+\]\n {2}\(body\): must NOT have additional properties "version" \[#\/additionalProperties\]\nbody: \{"id":"p1"/,
    );
  });
});

describe("prediction-response", () => {
  const prediction = "prediction-response#/definitions/prediction" as const;

  it("accepts a coglet-shaped body without the legacy fields", () => {
    expectMatchesContract(prediction, {
      id: "pred_18a",
      output: "hi",
      logs: "",
      status: "succeeded",
      metrics: { predict_time: 0.1 },
    });
  });

  it("requires predict_time on terminal states and forbids it before", () => {
    expect(matchesContract(prediction, { ...succeeded, metrics: {} })).toBe(false);
    expect(matchesContract(prediction, { id: "p", status: "processing", logs: "", metrics: { predict_time: 1 } })).toBe(
      false,
    );
    expectMatchesContract(prediction, {
      id: "p",
      status: "processing",
      logs: "a\n",
      metrics: { steps: { done: 1 } },
      output: ["item-0"],
    });
  });

  it("requires error exactly when failed, and output when succeeded", () => {
    const failed = { id: "p", status: "failed", logs: "", metrics: { predict_time: 0.1 } };
    expect(contractProblems(prediction, failed).join()).toContain("must have required property 'error'");
    expectMatchesContract(prediction, { ...failed, error: "boom" });
    expect(matchesContract(prediction, { ...succeeded, error: "no" })).toBe(false);
    const withoutOutput: Record<string, unknown> = { ...succeeded };
    delete withoutOutput.output;
    expect(matchesContract(prediction, withoutOutput)).toBe(false);
    expectMatchesContract(prediction, { ...succeeded, output: null });
  });

  it("forbids completed_at before the end, nulls for absent fields, unknown keys and a null id", () => {
    expect(
      matchesContract(prediction, { id: "p", status: "processing", logs: "", metrics: {}, completed_at: T1 }),
    ).toBe(false);
    expect(matchesContract(prediction, { ...succeeded, error: null })).toBe(false);
    expect(matchesContract(prediction, { ...succeeded, version: null })).toBe(false);
    expect(matchesContract(prediction, { ...succeeded, id: null })).toBe(false);
    expect(matchesContract(prediction, { ...succeeded, status: "done" })).toBe(false);
  });

  it("accepts only UTC timestamps written with Z", () => {
    expect(matchesContract(prediction, { ...succeeded, started_at: "2026-11-24T23:26:01.905740+00:00" })).toBe(false);
    expect(matchesContract(prediction, { ...succeeded, started_at: "2026-11-24 23:26:01" })).toBe(false);
    expectMatchesContract(prediction, { ...succeeded, started_at: "2026-11-24T23:26:01Z" });
  });

  it("describes the 202 of Prefer: respond-async as {id, status: starting}", () => {
    const accepted = "prediction-response#/definitions/accepted" as const;
    expectMatchesContract(accepted, { id: "x", status: "starting" });
    expectMatchesContract(accepted, { id: "x", status: "starting", input: {}, created_at: T0 });
    expect(matchesContract(accepted, { id: "x", status: "processing" })).toBe(false);
    expect(matchesContract(accepted, { status: "starting" })).toBe(false);
  });

  it("describes the 422 of a refused input file value (not a URL, over the limit) as a failed prediction", () => {
    const ref = "prediction-response#/definitions/inputFileError" as const;
    expectMatchesContract(ref, {
      id: "p",
      error: "document: not a data: or http(s): URL",
      logs: "",
      status: "failed",
      metrics: { predict_time: 0 },
    });
    expect(matchesContract(ref, succeeded)).toBe(false);
  });
});

describe("the other wire schemas", () => {
  it("webhook-payload is the state snapshot", () => {
    expectMatchesContract("webhook-payload", {
      id: "p",
      status: "processing",
      logs: "",
      metrics: {},
      input: {},
      created_at: T0,
      started_at: T0,
    });
    expect(matchesContract("webhook-payload", { id: "p", status: "processing" })).toBe(false);
  });

  it("prediction-request accepts what Cog accepts and rejects bad envelopes", () => {
    for (const good of [
      {},
      { input: null },
      {
        input: {},
        id: "a",
        webhook: "https://x.test/h",
        webhook_events_filter: [],
        context: { k: "v" },
        created_at: null,
        output_file_prefix: null,
        version: "ignored",
      },
    ]) {
      expectMatchesContract("prediction-request", good);
    }
    for (const bad of [
      { input: "text" },
      { webhook: "ftp://x/y" },
      { webhook_events_filter: ["start", "bogus"] },
      { context: { k: 1 } },
      { id: "" },
    ]) {
      expect(matchesContract("prediction-request", bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it("validation-error has Cog 0.22's item shape", () => {
    expectMatchesContract("validation-error", {
      detail: [{ loc: ["body", "input", "sizes/1"], msg: '"a" is not of type "integer"', type: "value_error" }],
    });
    expect(matchesContract("validation-error", { detail: [] })).toBe(false);
    expect(
      matchesContract("validation-error", {
        detail: [{ loc: ["body", "input", "x"], msg: "Field required", type: "missing", input: {} }],
      }),
    ).toBe(false);
    expect(
      matchesContract("validation-error", {
        detail: [{ loc: ["body", "input", "x"], msg: "wrong", type: "value_error.missing" }],
      }),
    ).toBe(false);
    expect(
      matchesContract("validation-error", { detail: [{ loc: ["input", "x"], msg: "m", type: "value_error" }] }),
    ).toBe(false);
  });

  it("health-check ties keys to statuses", () => {
    const version = { coglet: "0.1.0" };
    const setup = { started_at: T0, completed_at: T1, status: "succeeded", logs: "" };
    expectMatchesContract("health-check", {
      status: "STARTING",
      setup: { started_at: T0, status: "starting", logs: "" },
      version,
    });
    expectMatchesContract("health-check", { status: "READY", setup, version });
    expectMatchesContract("health-check", {
      status: "UNHEALTHY",
      setup,
      version,
      user_healthcheck_error: "user-defined healthcheck returned False",
    });
    expect(matchesContract("health-check", { status: "UNHEALTHY", setup, version })).toBe(false);
    expect(matchesContract("health-check", { status: "READY", setup, version, user_healthcheck_error: "x" })).toBe(
      false,
    );
    expect(matchesContract("health-check", { status: "SETUP_FAILED", setup, version })).toBe(false);
    expect(
      matchesContract("health-check", { status: "READY", setup: { started_at: T0, status: "starting" }, version }),
    ).toBe(false);
    expect(matchesContract("health-check", { status: "READY", setup })).toBe(false);
  });

  it("http-error names Cog 0.22's 503, 409, 406 and 404 bodies", () => {
    expectMatchesContract("http-error#/definitions/notReady", {
      error: "Setup has not finished yet. Wait until it has finished, or GET /health-check for status.",
      status: "failed",
    });
    expectMatchesContract("http-error#/definitions/atCapacity", {
      error: "At capacity - all prediction slots busy",
      status: "failed",
    });
    expectMatchesContract("http-error#/definitions/notStreaming", {
      error: "This model does not support streaming responses.",
    });
    expectMatchesContract("http-error#/definitions/empty", {});
    expect(matchesContract("http-error#/definitions/empty", { detail: "x" })).toBe(false);
    expect(matchesContract("http-error#/definitions/atCapacity", { detail: "Already running a prediction" })).toBe(
      false,
    );
  });

  it("sse-events checks each event's data", () => {
    expectMatchesContract("sse-events", { event: "start", data: { id: "p", status: "processing" } });
    expectMatchesContract("sse-events", { event: "output", data: { chunk: "item 0", index: 0 } });
    expectMatchesContract("sse-events", { event: "log", data: { source: "stdout", data: "tick\n" } });
    expectMatchesContract("sse-events", { event: "metric", data: { name: "ticks", value: 1, mode: "increment" } });
    expectMatchesContract("sse-events", { event: "completed", data: succeeded });
    expectMatchesContract("sse-events", {
      event: "error",
      data: { error: "SSE stream lagged; events were dropped", skipped: 3 },
    });
    expect(matchesContract("sse-events", { event: "output", data: { chunk: "x", index: -1 } })).toBe(false);
    expect(
      matchesContract("sse-events", {
        event: "completed",
        data: { id: "p", status: "processing", logs: "", metrics: {} },
      }),
    ).toBe(false);
    expect(matchesContract("sse-events", { event: "tick", data: {} })).toBe(false);
  });

  it("index lists the routes, trainings only all together", () => {
    const index = {
      cog_version: "0.1.0",
      docs_url: "/docs",
      openapi_url: "/openapi.json",
      shutdown_url: "/shutdown",
      healthcheck_url: "/health-check",
      predictions_url: "/predictions",
      predictions_idempotent_url: "/predictions/{prediction_id}",
      predictions_cancel_url: "/predictions/{prediction_id}/cancel",
    };
    expectMatchesContract("index", index);
    expect(matchesContract("index", { ...index, trainings_url: "/trainings" })).toBe(false);
  });
});

describe("contractForResponse", () => {
  it.each([
    [{ method: "POST", path: "/predictions", status: 202 }, "prediction-response#/definitions/accepted"],
    [{ method: "PUT", path: "/predictions/a", status: 202 }, "prediction-response#/definitions/snapshot"],
    [{ method: "PUT", path: "/trainings/a", status: 200 }, "prediction-response#/definitions/prediction"],
    [{ method: "POST", path: "/predictions", status: 422, body: { detail: [] } }, "validation-error"],
    [
      { method: "POST", path: "/predictions", status: 422, body: { id: "a", status: "failed" } },
      "prediction-response#/definitions/inputFileError",
    ],
    [{ method: "POST", path: "/predictions/a/cancel", status: 404 }, "http-error#/definitions/empty"],
    [{ method: "GET", path: "/nope", status: 404 }, "http-error#/definitions/notFound"],
    [{ method: "GET", path: "/openapi.json", status: 503 }, "http-error#/definitions/schemaNotAvailable"],
    [{ method: "POST", path: "/predictions", status: 503 }, "http-error#/definitions/notReady"],
    [{ method: "GET", path: "/health-check", status: 200 }, "health-check"],
  ])("%j follows %s", (exchange, ref) => {
    expect(contractForResponse(exchange)).toBe(ref);
  });

  it("names no schema for the model's OpenAPI document or an SSE stream", () => {
    expect(contractForResponse({ method: "GET", path: "/openapi.json", status: 200 })).toBeUndefined();
    expect(
      contractForResponse({
        method: "POST",
        path: "/predictions",
        status: 200,
        requestHeaders: { accept: "text/event-stream" },
      }),
    ).toBeUndefined();
  });
});
