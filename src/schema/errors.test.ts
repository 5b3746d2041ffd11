/**
 * Error fixtures: each folder of fixtures/schema/errors/ is a predictor that cannot be described by a schema, and
 * `expected-error.txt` holds the exact report (the summary, then one `FILE:LINE:COL: …` line per problem).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { generateSchema } from "./index.js";
import { expectGolden } from "../../test/helpers/golden.js";
import { caseDirectories, ERROR_FIXTURES, projectOf } from "../../test/helpers/schema-fixtures.js";

const cases = caseDirectories(ERROR_FIXTURES);

async function reportOf(dir: string): Promise<string> {
  try {
    await generateSchema(projectOf(dir));
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return [error.message, ...error.problems].join("\n") + "\n";
  }
  throw new Error(`${dir}: expected the schema to fail`);
}

describe("schema errors", () => {
  it("has at least 12 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });

  it.each(cases)("%s", async (name) => {
    const dir = join(ERROR_FIXTURES, name);
    const report = await reportOf(dir);
    expectGolden(report, join(dir, "expected-error.txt"));
  });

  it("reports every problem of a file together, each with file:line:column", async () => {
    const report = await reportOf(join(ERROR_FIXTURES, "many_problems"));
    const problems = report.trim().split("\n").slice(1);
    expect(problems.length).toBeGreaterThanOrEqual(5);
    for (const line of problems) expect(line).toMatch(/^predict\.ts:\d+:\d+: /);
  });
});
