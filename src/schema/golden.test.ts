/**
 * Golden tests: every folder of fixtures/schema/ is a predictor project with the OpenAPI document cogts must derive
 * from it (`openapi.json`, byte for byte); so are Cog's recorded Python predictors in fixtures/predictors-python/. `UPDATE_GOLDENS=1 npx vitest run src/schema/golden.test.ts src/schema/errors.test.ts` rewrites them.
 */
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { describe, expect, it } from "vitest";
import { generateSchema } from "./index.js";
import { COGTS_VERSION } from "../version.js";
import { expectGolden } from "../../test/helpers/golden.js";
import {
  caseDirectories,
  projectOf,
  PYTHON_PREDICTORS,
  RECORDED_PYTHON_PREDICTORS,
  SCHEMA_FIXTURES,
} from "../../test/helpers/schema-fixtures.js";

/** Case label → project folder. */
const folders = new Map<string, string>([
  ...caseDirectories(SCHEMA_FIXTURES).map((name): [string, string] => [name, join(SCHEMA_FIXTURES, name)]),
  ...RECORDED_PYTHON_PREDICTORS.map((name): [string, string] => [
    `predictors-python/${name}`,
    join(PYTHON_PREDICTORS, name),
  ]),
]);
const cases = [...folders.keys()];

describe("schema goldens", () => {
  it("has at least 40 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)("%s", async (name) => {
    const dir = folders.get(name)!;
    const document = await generateSchema(projectOf(dir));
    // The version changes with releases; goldens pin everything else.
    expect(document.info.version).toBe(COGTS_VERSION);
    const text = `${JSON.stringify({ ...document, info: { ...document.info, version: "<cogts version>" } }, null, 2)}\n`;
    expectGolden(text, join(dir, "openapi.json"));
    // A real OpenAPI 3.0 validator; it dereferences in place, so give it a copy.
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
  });
});
