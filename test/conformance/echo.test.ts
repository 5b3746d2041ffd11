/**
 * Transcript 01 (echo: health during setup, index, openapi, sync variants, bad bodies, async, PUT, route errors,
 * shutdown) replayed against the cogts server. Where Cog 0.16 and 0.22 agree the recording is the expectation;
 * where they differ Cog 0.22's behaviour (docs/http-api.md, schemas/) is.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectMatchesContract } from "../helpers/contract.js";
import { PREDICTORS, recorded, replay, serve, type Served } from "./harness.js";

describe("transcript 01: echo basics", () => {
  let server: Served;
  beforeAll(async () => {
    // The recording used a 3 s setup to observe STARTING; 1 s is enough here.
    server = await serve("echo", { env: { SETUP_DELAY: "1" } });
  });
  afterAll(() => server.stop());

  it("[1-3] during setup: health STARTING, the index, and 503 for a prediction (0.16: 409)", async () => {
    const health = await replay(server, recorded("01", 1));
    expect(health.status).toBe(200);
    expectMatchesContract("health-check", health.json);
    expect((health.json as { status: string }).status).toBe("STARTING");

    const index = await replay(server, recorded("01", 2));
    expect(index.status).toBe(200);
    expectMatchesContract("index", index.json);
    const recordedIndex = recorded("01", 2).response.json as Record<string, unknown>;
    expect(Object.keys(index.json as object)).toEqual(Object.keys(recordedIndex));
    expect({ ...(index.json as object), cog_version: "x" }).toEqual({ ...recordedIndex, cog_version: "x" });

    const early = await replay(server, recorded("01", 3));
    expect(early.status).toBe(503);
    expectMatchesContract("http-error#/definitions/notReady", early.json);
  });

  it("[4] health READY once setup is done, with setup's own output in setup.logs", async () => {
    await server.waitFor("READY");
    const health = await replay(server, recorded("01", 4));
    expectMatchesContract("health-check", health.json);
    const setup = (health.json as { setup: { status: string; logs: string } }).setup;
    expect(setup.status).toBe("succeeded");
    expect(setup.logs).toContain("echo setup starting (delay=1.0)\necho setup done\n");
  });

  it("[5] serves the bundled OpenAPI document as given", async () => {
    const answer = await replay(server, recorded("01", 5));
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual(JSON.parse(readFileSync(join(PREDICTORS, "echo", "openapi.json"), "utf8")));
  });

  it.each([6, 7, 10, 11, 15, 19, 20, 28])("[%i] answers like Cog: same status, output and id", async (number) => {
    const exchange = recorded("01", number);
    const answer = await replay(server, exchange);
    const expected = exchange.response.json as Record<string, unknown>;
    expect(answer.status).toBe(exchange.response.status);
    expectMatchesContract("prediction-response#/definitions/prediction", answer.json);
    const body = answer.json as Record<string, unknown>;
    expect(body.status).toBe(expected.status);
    expect(body.output).toEqual(expected.output);
    expect(body.logs).toBe(expected.logs);
    if (expected.id !== null) expect(body.id).toBe(expected.id);
    else expect(body.id).toMatch(/^pred_[0-9a-f]+$/);
    // The legacy fields are there, as in Cog 0.16.
    expect(Object.keys(body)).toEqual(expect.arrayContaining(["input", "created_at", "started_at", "completed_at"]));
    for (const [key, value] of Object.entries(JSON.parse(exchange.request.body ?? '{"input":{}}').input ?? {})) {
      if (key !== "bogus") expect((body.input as Record<string, unknown>)[key]).toEqual(value);
    }
    expect(body.input).not.toHaveProperty("bogus");
  });

  it.each([8, 9])(
    '[%i] treats {} and {"input": null} as an empty input and applies the default (0.16: HTTP 500)',
    async (number) => {
      const answer = await replay(server, recorded("01", number));
      expect(answer.status).toBe(200);
      expectMatchesContract("prediction-response#/definitions/prediction", answer.json);
      expect((answer.json as { output: string }).output).toBe("hello");
    },
  );

  it("[12] a wrong input type is a 422 at body.input.text", async () => {
    const answer = await replay(server, recorded("01", 12));
    expect(answer.status).toBe(422);
    expectMatchesContract("validation-error", answer.json);
    expect(answer.json).toEqual({
      detail: [{ loc: ["body", "input", "text"], msg: '123 is not of type "string"', type: "value_error" }],
    });
  });

  it("[13] an input that is not an object is a 422 at body.input.__root__", async () => {
    const answer = await replay(server, recorded("01", 13));
    expect(answer.status).toBe(422);
    expectMatchesContract("validation-error", answer.json);
    expect((answer.json as { detail: { loc: unknown[] }[] }).detail.map((d) => d.loc)).toEqual([
      ["body", "input", "__root__"],
    ]);
  });

  it("[14] malformed JSON is a 400 with the reason (0.22: axum's plain-text 400/422; 0.16: 422)", async () => {
    const answer = await replay(server, recorded("01", 14));
    expect(answer.status).toBe(400);
    expectMatchesContract("http-error#/definitions/requestRejected", answer.json);
  });

  it("answers every JSON body with content-type application/json, as Cog does", async () => {
    for (const number of [2, 4, 6, 12, 21, 23, 26]) {
      const exchange = recorded("01", number);
      const answer = await replay(server, exchange);
      expect(answer.headers.get("content-type"), `[${number}]`).toBe(exchange.response.headers["content-type"]);
    }
  });

  it.each([
    [16, ["body", "webhook"]],
    [17, ["body", "webhook_events_filter"]],
  ])("[%i] rejects a bad envelope with 422 at %j", async (number, loc) => {
    const answer = await replay(server, recorded("01", number));
    expect(answer.status).toBe(422);
    expectMatchesContract("validation-error", answer.json);
    expect((answer.json as { detail: { loc: unknown[] }[] }).detail.map((d) => d.loc.slice(0, 2))).toEqual([loc]);
  });

  it("[18] Prefer: respond-async answers 202 {id, status: starting} (0.16: a processing snapshot)", async () => {
    const answer = await replay(server, recorded("01", 18));
    expect(answer.status).toBe(202);
    expectMatchesContract("prediction-response#/definitions/accepted", answer.json);
    expect(answer.json).toMatchObject({ id: "echo-async-1", status: "starting", input: { text: "async" } });
    await server.waitFor("READY");
  });

  it("[21] a PUT whose body id differs from the URL is Cog's exact 422", async () => {
    const exchange = recorded("01", 21);
    const answer = await replay(server, exchange);
    expect(answer.status).toBe(422);
    expect(answer.json).toEqual(exchange.response.json);
    expectMatchesContract("validation-error", answer.json);
  });

  it("[22] a PUT without a body runs with the defaults (0.22: a missing body is {input: {}}; 0.16: 422)", async () => {
    const answer = await replay(server, recorded("01", 22));
    expect(answer.status).toBe(200);
    expectMatchesContract("prediction-response#/definitions/prediction", answer.json);
    expect(answer.json).toMatchObject({ id: "echo-put-3", output: "hello", status: "succeeded" });
  });

  it("[23] cancel of an unknown id is 404 {}", async () => {
    const exchange = recorded("01", 23);
    const answer = await replay(server, exchange);
    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({});
  });

  it.each([24, 25])("[%i] a wrong method is 405 with Cog's body and an allow header", async (number) => {
    const exchange = recorded("01", number);
    const answer = await replay(server, exchange);
    expect(answer.status).toBe(405);
    expectMatchesContract("http-error#/definitions/methodNotAllowed", answer.json);
    expect(answer.json).toEqual(exchange.response.json);
    expect(answer.headers.get("allow")).toBe(exchange.response.headers.allow);
  });

  it("[26] an unknown path is 404 {detail: Not Found}", async () => {
    const exchange = recorded("01", 26);
    const answer = await replay(server, exchange);
    expect(answer.status).toBe(404);
    expect(answer.json).toEqual(exchange.response.json);
  });

  it("[27] /docs is not served (0.22; 0.16 served Swagger)", async () => {
    const answer = await replay(server, recorded("01", 27));
    expect(answer.status).toBe(404);
  });

  it("[29] shutdown answers 200 {} and the process exits with 0", async () => {
    const answer = await replay(server, recorded("01", 29));
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({});
    expect(await server.exited).toBe(0);
  });
});
