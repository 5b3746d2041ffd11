/**
 * The TypeScript twins of the predictors recorded from Cog (fixtures/schema/cog-reference/) must produce the same
 * Input, Output and enum components as Cog did, after the documented 0.16 → 0.22 differences.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateSchema } from "./index.js";
import { projectOf, SCHEMA_FIXTURES } from "../../test/helpers/schema-fixtures.js";

type Schema = { [key: string]: unknown };
const REFERENCE = join(SCHEMA_FIXTURES, "cog-reference");
const TWINS = ["echo", "files", "iterator", "logs", "numbers", "object", "setup_fail", "sleep"];
/** Components that are not derived from the predictor. */
const FIXED = new Set([
  "PredictionRequest",
  "PredictionResponse",
  "Status",
  "HTTPValidationError",
  "ValidationError",
  "WebhookEvent",
]);

/** Cog 0.22 emits `"default": null` for a nullable input defaulting to None; 0.16 left it out. */
function asCog022(input: Schema): Schema {
  const properties = input.properties as Record<string, Schema>;
  const upgraded = Object.fromEntries(
    Object.entries(properties).map(([name, property]) => [
      name,
      property.nullable === true && !("default" in property) ? { ...property, default: null } : property,
    ]),
  );
  return { ...input, properties: upgraded };
}

function predictorComponents(schemas: Record<string, Schema>): Record<string, Schema> {
  return Object.fromEntries(Object.entries(schemas).filter(([name]) => !FIXED.has(name)));
}

describe("TypeScript twins of Cog's recorded predictors", () => {
  it.each(TWINS)("%s: Input, Output and enums match Cog's", async (name) => {
    const reference = JSON.parse(readFileSync(join(REFERENCE, `${name}.json`), "utf8")) as {
      components: { schemas: Record<string, Schema> };
    };
    const expected = predictorComponents(reference.components.schemas);
    expected.Input = asCog022(expected.Input!);
    const document = await generateSchema(projectOf(join(SCHEMA_FIXTURES, name)));
    const actual = predictorComponents(document.components.schemas as Record<string, Schema>);
    expect(actual).toEqual(expected);
  });
});
