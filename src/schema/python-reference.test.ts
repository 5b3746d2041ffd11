/**
 * Cog's own recorded predictors, read from their Python source (fixtures/predictors-python/NAME/predict.py, copied
 * from fixtures/schema/cog-reference/NAME.py.txt) by the tree-sitter reader: the Input, Output and enum
 * components must be the ones Cog recorded, except where Cog 0.22's static generator differs from the recorded
 * 0.16 output. That difference is listed here, and checked to be the only one.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateSchema } from "./index.js";
import {
  projectOf,
  PYTHON_PREDICTORS,
  RECORDED_PYTHON_PREDICTORS,
  SCHEMA_FIXTURES,
} from "../../test/helpers/schema-fixtures.js";

type Schema = { [key: string]: unknown };
const REFERENCE = join(SCHEMA_FIXTURES, "cog-reference");
const NAMES = RECORDED_PYTHON_PREDICTORS;
const FIXED = new Set([
  "PredictionRequest",
  "PredictionResponse",
  "Status",
  "HTTPValidationError",
  "ValidationError",
  "WebhookEvent",
]);

/**
 * Cog 0.22 vs the recorded 0.16: an `Optional[T] = Input(default=None)` input carries `"default": null` in 0.22
 * (Cog 0.22's static schema generator); pydantic (0.16) left the default out.
 */
const COG022_NULL_DEFAULTS: Record<string, string[]> = { files: ["extra"], numbers: ["offset"] };

function components(schemas: Record<string, Schema>): Record<string, Schema> {
  return Object.fromEntries(Object.entries(schemas).filter(([name]) => !FIXED.has(name)));
}

async function both(name: string): Promise<{ recorded: Record<string, Schema>; ours: Record<string, Schema> }> {
  const reference = JSON.parse(readFileSync(join(REFERENCE, `${name}.json`), "utf8")) as {
    components: { schemas: Record<string, Schema> };
  };
  const document = await generateSchema(projectOf(join(PYTHON_PREDICTORS, name)));
  return {
    recorded: components(reference.components.schemas),
    ours: components(document.components.schemas as Record<string, Schema>),
  };
}

describe("Cog's recorded Python predictors, read by the tree-sitter reader", () => {
  it.each(NAMES)("%s: the fixture is the recorded source, unchanged", (name) => {
    expect(readFileSync(join(PYTHON_PREDICTORS, name, "predict.py"), "utf8")).toBe(
      readFileSync(join(REFERENCE, `${name}.py.txt`), "utf8"),
    );
  });

  it.each(NAMES)("%s: Input, Output and enums are Cog's, with 0.22's null defaults", async (name) => {
    const { recorded, ours } = await both(name);
    const expected = structuredClone(recorded);
    const properties = expected.Input!.properties as Record<string, Schema>;
    for (const input of COG022_NULL_DEFAULTS[name] ?? []) properties[input] = { ...properties[input], default: null };
    expect(ours).toEqual(expected);
  });

  it("the 0.22 null-default difference is real: the recorded 0.16 schemas leave those defaults out", async () => {
    for (const [name, inputs] of Object.entries(COG022_NULL_DEFAULTS)) {
      const { recorded, ours } = await both(name);
      for (const input of inputs) {
        const recordedProperty = (recorded.Input!.properties as Record<string, Schema>)[input]!;
        const ourProperty = (ours.Input!.properties as Record<string, Schema>)[input]!;
        expect(recordedProperty.nullable).toBe(true);
        expect("default" in recordedProperty).toBe(false);
        expect(ourProperty.default).toBeNull();
      }
    }
  });
});
