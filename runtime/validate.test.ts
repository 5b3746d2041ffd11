/**
 * The 422 rules for Cog 0.21+'s JSON-native union inputs and for object inputs, over the schemas the readers make
 * (the golden openapi.json of fixtures/schema/): twins of Cog's union_input_http, union_input_list_http,
 * dict_input, list_dict_input and typeddict_input scenarios.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileInputValidator, type InputValidationResult } from "./validate.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "schema");
const validatorOf = (name: string) =>
  compileInputValidator(JSON.parse(readFileSync(join(FIXTURES, name, "openapi.json"), "utf8")));
const problems = (result: InputValidationResult) => (result.ok ? [] : result.detail.map((d) => [d.loc.at(-1), d.msg]));

describe("union inputs (value: string | number | null, nums: Int[] | number[], flipped: number | string)", () => {
  const validate = validatorOf("input_union_lists");

  it("passes each member's values through unchanged: a number stays a number, a numeric string a string", () => {
    for (const value of ["hello", 1.5, 1, "1.5", ""]) {
      expect(validate({ nums: [], value })).toEqual({ ok: true, input: { nums: [], value } });
    }
    expect(validate({ nums: [1], flipped: "world" })).toEqual({ ok: true, input: { nums: [1], flipped: "world" } });
    expect(validate({ nums: [1.5, 2] })).toEqual({ ok: true, input: { nums: [1.5, 2] } });
  });

  it("refuses booleans and objects, which are no member of string | number", () => {
    expect(problems(validate({ nums: [], value: true }))).toEqual([
      ["value", "true is not valid under any of the given schemas"],
    ]);
    expect(problems(validate({ nums: [], value: { x: 1 } }))).toEqual([
      ["value", '{"x":1} is not valid under any of the given schemas'],
    ]);
    expect(problems(validate({ nums: [], flipped: [1] }))).toEqual([
      ["flipped", "[1] is not valid under any of the given schemas"],
    ]);
  });

  it("checks the elements of a list union and refuses a bare scalar", () => {
    expect(validate({ nums: ["3"] }).ok).toBe(false);
    expect(validate({ nums: [true] }).ok).toBe(false);
    expect(problems(validate({ nums: 1 }))).toEqual([["nums", "1 is not valid under any of the given schemas"]]);
    expect(problems(validate({}))).toEqual([["nums", "Field required"]]);
  });

  it("leaves an omitted optional union out (its default applies)", () => {
    expect(validate({ nums: [] })).toEqual({ ok: true, input: { nums: [] } });
  });
});

describe("Python union inputs (value: str | float | None, nums: list[int] | list[float])", () => {
  const validate = validatorOf("py_union_inputs");

  it("accepts strings, floats and integers, refuses booleans and objects", () => {
    for (const value of ["hello", 1.5, 1]) expect(validate({ value }).ok).toBe(true);
    expect(validate({ value: true }).ok).toBe(false);
    expect(validate({ value: { x: 1 } }).ok).toBe(false);
    expect(validate({ nums: [1] }).ok).toBe(true);
    expect(validate({ nums: ["3"] }).ok).toBe(false);
  });
});

describe("object inputs", () => {
  const validate = validatorOf("input_object_types");

  it("accepts any JSON object for Record<string, unknown>, an interface or an object type, and arrays of them", () => {
    const input = {
      data: { greeting: "hello", count: 3 },
      messages: [{ role: "user", content: "hello" }],
      payload: {},
      inline: { key: "k" },
      items: [{}, { a: [1] }],
    };
    expect(validate(input)).toEqual({ ok: true, input });
    expect(validate({ data: {}, messages: [] })).toEqual({ ok: true, input: { data: {}, messages: [] } });
  });

  it("refuses what is not an object, and a list where an object is wanted", () => {
    expect(problems(validate({ data: "x", messages: [] }))).toEqual([["data", '"x" is not of type "object"']]);
    expect(problems(validate({ data: [], messages: [] }))).toEqual([["data", '[] is not of type "object"']]);
    expect(problems(validate({ data: {}, messages: [1] }))).toEqual([["messages/0", '1 is not of type "object"']]);
    expect(problems(validate({ data: {}, messages: {} }))).toEqual([["messages", '{} is not of type "array"']]);
  });

  it("has Python's dict, list[dict], Dict[str, Any] and TypedDict inputs say the same", () => {
    const python = validatorOf("py_dict_inputs");
    const input = {
      data: { a: 1 },
      messages: [{ role: "user" }],
      typed: {},
      typed_items: [{ id: 1 }],
      payload: { name: "alice", count: 2 },
    };
    expect(python(input)).toEqual({ ok: true, input });
    expect(python({ ...input, payloads: [{ name: "first" }] }).ok).toBe(true);
    expect(problems(python({ ...input, payload: "alice" }))).toEqual([["payload", '"alice" is not of type "object"']]);
  });
});
