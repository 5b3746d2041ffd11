/** `cog run`/`cog train` input checks in Cog 0.22's CLI words (twins of Cog's input_validation_before_build scenario). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { buildInputs } from "./io.js";
import { canCheckInputs, checkInputs } from "./validate.js";

const openapi = JSON.parse(
  readFileSync(new URL("../../fixtures/predictors/constraints/openapi.json", import.meta.url), "utf8"),
) as Record<string, unknown>;
const trainSchema = JSON.parse(
  readFileSync(new URL("../../fixtures/predictors/train/openapi.json", import.meta.url), "utf8"),
) as Record<string, unknown>;

/** The message checkInputs refuses `-i` PAIRS with, or undefined when they pass. */
function problem(pairs: string[], schema = openapi, train = false): string | undefined {
  try {
    checkInputs(buildInputs(pairs, schema, { cwd: "/", component: train ? "TrainingInput" : "Input" }), schema, train);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
}

describe("checkInputs", () => {
  it("accepts valid inputs", () => {
    expect(problem(["prompt=hi", "sizes=1", "steps=3", "scheduler=euler"])).toBeUndefined();
  });

  it("refuses unknown names with the names the model takes, before anything else", () => {
    expect(problem(["prompt=hi", "nope=1"])).toBe(
      'unknown input "nope"; valid inputs are: code, note, prompt, scale, scheduler, sizes, steps',
    );
    expect(problem(["zz=1", "nope=1"])).toMatch(/^unknown inputs "nope", "zz"; /);
  });

  it("names a missing required input", () => {
    expect(problem(["prompt=hi"])).toBe('missing required input "sizes"');
    expect(problem([])).toBe(
      'input validation failed:\n- missing required input "prompt"\n- missing required input "sizes"',
    );
  });

  it("reports bounds, types, choices, lengths and patterns as invalid input NAME", () => {
    expect(problem(["prompt=hi", "sizes=1", "steps=0"])).toMatch(/^invalid input "steps": /);
    expect(problem(["prompt=hi", "sizes=1", "steps=99"])).toMatch(/^invalid input "steps": /);
    expect(problem(["prompt=hi", "sizes=1", "steps=lots"])).toBe('invalid input "steps": expected integer, got string');
    expect(problem(["prompt=hi", "sizes=1", "scheduler=huge"])).toBe(
      'invalid input "scheduler": must be one of: ddim, euler',
    );
    expect(problem(["prompt=much too long", "sizes=1"])).toMatch(/^invalid input "prompt": /);
    expect(problem(["prompt=hi", "sizes=1", "code=BAD"])).toMatch(/^invalid input "code": /);
  });

  it("refuses an explicit null, even for an optional input", () => {
    expect(() => checkInputs({ prompt: "hi", sizes: [1], note: null }, openapi)).toThrow(
      'invalid input "note": must not be null (omit the input to use its default)',
    );
    expect(() => checkInputs({ prompt: "hi", sizes: [1], steps: null }, openapi)).toThrow(/must not be null/);
  });

  it("checks a training's input against TrainingInput", () => {
    expect(problem(["epochs=0"], trainSchema, true)).toMatch(/^invalid input "epochs": /);
    expect(problem(["epochs=2"], trainSchema, true)).toBeUndefined();
  });

  it("knows when a schema has nothing to check against (an image without an Input component)", () => {
    expect(canCheckInputs(openapi)).toBe(true);
    expect(canCheckInputs({ components: { schemas: {} } })).toBe(false);
    expect(canCheckInputs(undefined)).toBe(false);
  });
});
