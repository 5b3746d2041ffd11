/**
 * Transcripts 02 (input validation and coercion, `strings`) and 03 (output encodings: numbers, object, listout,
 * secret, iterator, concat, sleep) replayed against the cogts server. Cog 0.22 validates inputs with a JSON
 * Schema validator: no lax coercion ("3" for an int is rejected), messages in jsonschema style, type
 * `value_error`/`value_error.missing`; the `loc` of each problem is the same field Cog 0.16 named.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectMatchesContract } from "../helpers/contract.js";
import type { Exchange } from "../helpers/transcripts.js";
import { locs, recorded, replay, serve, type Answer, type Served } from "./harness.js";

type Body = Record<string, unknown>;

/** A success like the recording's: same status, output and logs; the input fields sent are echoed. */
function expectSameSuccess(answer: Answer, exchange: Exchange, compare: { logs?: boolean } = {}): Body {
  const expected = exchange.response.json as Body;
  expect(answer.status, answer.text).toBe(200);
  expectMatchesContract("prediction-response#/definitions/prediction", answer.json);
  const body = answer.json as Body;
  expect(body.status).toBe("succeeded");
  expect(body.output).toEqual(expected.output);
  if (compare.logs !== false) expect(body.logs).toBe(expected.logs);
  return body;
}

/**
 * A 422 naming the same fields as the recording (0.16's pydantic sub-locations aside). A field may be named
 * twice when it breaks two rules (`"2"` for an int choice: type and enum), as jsonschema reports every rule.
 */
function expect422At(answer: Answer, expectedLocs: unknown[][]): void {
  expect(answer.status, answer.text).toBe(422);
  expectMatchesContract("validation-error", answer.json);
  const distinct = [...new Set(locs(answer.json).map((l) => JSON.stringify(l)))].map((l) => JSON.parse(l) as unknown[]);
  expect(distinct).toEqual(expectedLocs);
}

function recordedLocs(exchange: Exchange): unknown[][] {
  return locs(exchange.response.json).map((loc) => loc.slice(0, 3));
}

describe("transcript 02: input validation (strings)", () => {
  let server: Served;
  beforeAll(async () => {
    server = await serve("strings");
    await server.waitFor("READY");
  });
  afterAll(() => server.stop());

  it.each([1, 2, 18, 20])("[%i] accepts what Cog accepted and answers the same output and logs", async (number) => {
    const exchange = recorded("02", number);
    const body = expectSameSuccess(await replay(server, exchange), exchange);
    const sent = (JSON.parse(exchange.request.body!) as { input: Body }).input;
    for (const [key, value] of Object.entries(sent)) expect((body.input as Body)[key]).toEqual(value);
  });

  it("[16] accepts null for a nullable input as Cog 0.16 did (Cog 0.22 rejects it: a cogts choice)", async () => {
    const exchange = recorded("02", 16);
    expectSameSuccess(await replay(server, exchange), exchange);
  });

  it.each([13, 17, 21, 22, 23])(
    "[%i] rejects what only pydantic's lax mode accepted, at the same field",
    async (number) => {
      const exchange = recorded("02", number);
      const field = Object.keys((JSON.parse(exchange.request.body!) as { input: Body }).input).find(
        (k) => k !== "prompt",
      )!;
      const answer = await replay(server, exchange);
      expect422At(answer, [["body", "input", field]]);
      expect((answer.json as { detail: { type: string }[] }).detail[0]!.type).toBe("value_error");
    },
  );

  it("[3] a missing required input is `Field required` / value_error.missing", async () => {
    const answer = await replay(server, recorded("02", 3));
    expect(answer.status).toBe(422);
    expect(answer.json).toEqual({
      detail: [{ loc: ["body", "input", "prompt"], msg: "Field required", type: "value_error.missing" }],
    });
  });

  it.each([4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 19, 24, 25])(
    "[%i] rejects with 422 at the field Cog named",
    async (number) => {
      const exchange = recorded("02", number);
      const answer = await replay(server, exchange);
      expect422At(answer, recordedLocs(exchange));
      expect(
        (answer.json as { detail: { type: string; msg: string }[] }).detail.every(
          (d) => d.type === "value_error" && d.msg.length > 0,
        ),
      ).toBe(true);
    },
  );

  it("[26] reports every failing field at once", async () => {
    const exchange = recorded("02", 26);
    const answer = await replay(server, exchange);
    expect(answer.status).toBe(422);
    expectMatchesContract("validation-error", answer.json);
    expect(new Set(locs(answer.json).map((l) => JSON.stringify(l)))).toEqual(
      new Set(recordedLocs(exchange).map((l) => JSON.stringify(l))),
    );
  });
});

describe("transcript 03: outputs", () => {
  const servers: Served[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.stop())));
  async function start(name: string): Promise<Served> {
    const server = await serve(name);
    servers.push(server);
    await server.waitFor("READY");
    return server;
  }

  it("numbers [1-4]: float outputs, missing fields in schema order, a bound", async () => {
    const server = await start("numbers");
    for (const n of [1, 2]) expectSameSuccess(await replay(server, recorded("03", n)), recorded("03", n));
    const missing = await replay(server, recorded("03", 3));
    expect(missing.status).toBe(422);
    expect(missing.json).toEqual({
      detail: [
        { loc: ["body", "input", "b"], msg: "Field required", type: "value_error.missing" },
        { loc: ["body", "input", "flag"], msg: "Field required", type: "value_error.missing" },
      ],
    });
    expect422At(await replay(server, recorded("03", 4)), [["body", "input", "scale"]]);
    // 07 [16]: 0.0 is an output, not null (a Cog 0.16 quirk not to copy).
    const zero = await replay(server, recorded("07", 16));
    expect(zero.status).toBe(200);
    expect((zero.json as Body).output).toBe(0);
  });

  it("object [5-6]: an object output, with a Path field sent as a data URL", async () => {
    const server = await start("object");
    for (const n of [5, 6]) expectSameSuccess(await replay(server, recorded("03", n)), recorded("03", n));
  });

  it("listout [7-10]: a list output, an empty list kept, list errors at the item's path", async () => {
    const server = await start("listout");
    expectSameSuccess(await replay(server, recorded("03", 7)), recorded("03", 7));
    const empty = await replay(server, recorded("03", 8));
    expect(empty.status).toBe(200);
    expect((empty.json as Body).output).toEqual([]); // Cog 0.16: null (falsy outputs quirk)
    expect422At(await replay(server, recorded("03", 9)), [["body", "input", "words"]]);
    // 0.16 said ["body","input","words",1]; 0.22 names nested values by JSON pointer.
    expect422At(await replay(server, recorded("03", 10)), [["body", "input", "words/1"]]);
  });

  it("secret [11-13]: secrets are masked in the input echo and in predict's output of the value", async () => {
    const server = await start("secret");
    for (const n of [11, 12]) {
      const body = expectSameSuccess(await replay(server, recorded("03", n)), recorded("03", n));
      expect((body.input as Body).token).toBe("**********");
      expect(JSON.stringify(body)).not.toContain("sk-1");
    }
    const missing = await replay(server, recorded("03", 13));
    expect(missing.json).toEqual({
      detail: [{ loc: ["body", "input", "token"], msg: "Field required", type: "value_error.missing" }],
    });
  });

  it("iterator [14-15]: the items as an array, and a bound", async () => {
    const server = await start("iterator");
    expectSameSuccess(await replay(server, recorded("03", 14)), recorded("03", 14));
    expect422At(await replay(server, recorded("03", 15)), [["body", "input", "count"]]);
  });

  it("concat [16]: tokens keep their leading spaces", async () => {
    const server = await start("concat");
    expectSameSuccess(await replay(server, recorded("03", 16)), recorded("03", 16));
  });

  it("sleep [17-18]: stdout and stderr both in logs; an exception is a failed prediction with HTTP 200", async () => {
    const server = await start("sleep");
    const exchange = recorded("03", 17);
    const body = expectSameSuccess(await replay(server, exchange), exchange, { logs: false });
    // The two streams interleave by arrival: compare the lines, not their order.
    const lines = (text: unknown) => String(text).split("\n").sort();
    expect(lines(body.logs)).toEqual(lines((exchange.response.json as Body).logs));

    const failed = await replay(server, recorded("03", 18));
    expect(failed.status).toBe(200);
    expectMatchesContract("prediction-response#/definitions/prediction", failed.json);
    expect(failed.json).toMatchObject({ status: "failed", output: null });
    expect((failed.json as Body).error).toContain("failed on purpose");
  });
});
