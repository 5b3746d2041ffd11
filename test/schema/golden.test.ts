/**
 * Golden tests: every folder of fixtures/schema/ is a predictor project with the OpenAPI document cogts must derive
 * from it (`openapi.json`, byte for byte). `UPDATE_GOLDENS=1 npx vitest run test/schema` rewrites them.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { describe, expect, it } from "vitest";
import { generateSchema } from "../../src/schema/index.js";
import { COGTS_VERSION } from "../../src/version.js";
import { caseDirectories, projectOf, SCHEMA_FIXTURES, UPDATE_GOLDENS } from "./fixtures.js";

const cases = caseDirectories(SCHEMA_FIXTURES);

describe("schema goldens", () => {
  it("has at least 40 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)("%s", async (name) => {
    const dir = join(SCHEMA_FIXTURES, name);
    const document = await generateSchema(projectOf(dir));
    // The version changes with releases; goldens pin everything else.
    expect(document.info.version).toBe(COGTS_VERSION);
    const text = `${JSON.stringify({ ...document, info: { ...document.info, version: "<cogts version>" } }, null, 2)}\n`;
    const golden = join(dir, "openapi.json");
    if (UPDATE_GOLDENS || !existsSync(golden)) writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, "utf8"));
    // A real OpenAPI 3.0 validator; it dereferences in place, so give it a copy.
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
  });
});
