/**
 * One rule for every golden file: the expected output is checked in, and a test compares byte for byte.
 * `UPDATE_GOLDENS=1` (and only that) rewrites goldens; a missing golden fails, so a new case cannot pass
 * by writing its own expectation.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";

export const UPDATE_GOLDENS = process.env.UPDATE_GOLDENS === "1";

/** Compares `actual` with the golden file at `goldenPath` (or rewrites it under UPDATE_GOLDENS=1). */
export function expectGolden(actual: string, goldenPath: string): void {
  if (UPDATE_GOLDENS) {
    mkdirSync(path.dirname(goldenPath), { recursive: true });
    writeFileSync(goldenPath, actual);
    return;
  }
  if (!existsSync(goldenPath)) {
    expect.fail(`golden file ${goldenPath} is missing: review the output, then write it with UPDATE_GOLDENS=1`);
  }
  expect(actual).toBe(readFileSync(goldenPath, "utf8"));
}
