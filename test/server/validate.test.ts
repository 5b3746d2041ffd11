import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileInputValidator } from "../../runtime/validate.js";
import { FIXTURES } from "./helpers.js";

const openapi = JSON.parse(readFileSync(join(FIXTURES, "constraints", "openapi.json"), "utf8")) as Record<
  string,
  unknown
>;
const validate = compileInputValidator(openapi);

describe("compileInputValidator", () => {
  it("reports each missing required field in required order, then the value errors", () => {
    const result = validate({ steps: 0 });
    expect(result).toEqual({
      ok: false,
      detail: [
        { loc: ["body", "input", "prompt"], msg: "Field required", type: "value_error.missing" },
        { loc: ["body", "input", "sizes"], msg: "Field required", type: "value_error.missing" },
        { loc: ["body", "input", "steps"], msg: "0 is less than the minimum of 1", type: "value_error" },
      ],
    });
  });

  it("drops unknown keys and accepts a valid input", () => {
    expect(validate({ prompt: "hey", sizes: [1], bogus: true })).toEqual({
      ok: true,
      input: { prompt: "hey", sizes: [1] },
    });
  });

  it("names nested array items with a JSON pointer without the leading slash", () => {
    const result = validate({ prompt: "hey", sizes: [1, "x"] });
    expect(result).toEqual({
      ok: false,
      detail: [{ loc: ["body", "input", "sizes/1"], msg: '"x" is not of type "integer"', type: "value_error" }],
    });
  });

  it("checks string length, pattern and enum components behind allOf/$ref", () => {
    const result = validate({ prompt: "x", sizes: [], code: "ABC", scheduler: "nope" });
    if (result.ok) throw new Error("expected errors");
    expect(result.detail.map((d) => [d.loc[2], d.msg])).toEqual(
      expect.arrayContaining([
        ["prompt", '"x" is shorter than 2 characters'],
        ["code", '"ABC" does not match "^[a-z]+[0-9]+$"'],
        ["scheduler", '"nope" is not one of ["ddim","euler"]'],
      ]),
    );
    expect(result.detail).toHaveLength(3);
  });

  it("rejects explicit null for a non-nullable field and accepts it where the schema says nullable", () => {
    const bad = validate({ prompt: "hey", sizes: [], steps: null });
    expect(bad).toEqual({
      ok: false,
      detail: [{ loc: ["body", "input", "steps"], msg: 'null is not of type "integer"', type: "value_error" }],
    });
    expect(validate({ prompt: "hey", sizes: [], note: null })).toEqual({
      ok: true,
      input: { prompt: "hey", sizes: [], note: null },
    });
  });

  it("reports a non-object input against __root__ and treats null as empty", () => {
    expect(validate([1])).toEqual({
      ok: false,
      detail: [{ loc: ["body", "input", "__root__"], msg: '[1] is not of type "object"', type: "value_error" }],
    });
    const empty = validate(null);
    expect(empty.ok).toBe(false);
  });

  it("does not enforce format and validates TrainingInput the same way", () => {
    const doc = {
      components: {
        schemas: {
          TrainingInput: {
            type: "object",
            properties: { data: { type: "string", format: "uri", "x-order": 0 } },
            required: ["data"],
          },
        },
      },
    };
    const train = compileInputValidator(doc, "TrainingInput");
    expect(train({ data: "not a uri" })).toEqual({ ok: true, input: { data: "not a uri" } });
    expect(train({})).toMatchObject({
      ok: false,
      detail: [{ loc: ["body", "input", "data"], type: "value_error.missing" }],
    });
  });

  it("fails clearly when the component is missing", () => {
    expect(() => compileInputValidator({ components: { schemas: {} } })).toThrow(/components.schemas.Input/);
  });
});
