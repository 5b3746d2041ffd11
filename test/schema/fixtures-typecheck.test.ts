/** Every valid schema fixture is a predictor an author could write: it type-checks against the SDK. */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const fixturesConfig = fileURLToPath(new URL("../../fixtures/tsconfig.json", import.meta.url));

it("tsc --noEmit -p fixtures/tsconfig.json is clean (error fixtures excluded)", async () => {
  const result = await promisify(execFile)(process.execPath, [tsc, "--noEmit", "-p", fixturesConfig]).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
  expect(result.stdout).toBe("");
  expect(result.code).toBe(0);
}, 60_000);
