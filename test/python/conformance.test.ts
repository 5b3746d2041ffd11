/**
 * The conformance suite's transcripts 02-07 (inputs and outputs, files, setup failure and logs, async, busy, PUT,
 * cancel, webhooks, iterator outputs and SSE) run once more, as they are, with every predictor whose Python original
 * was recorded (numbers, object, iterator, sleep, files, logs, setup_fail, echo) served from that predict.py by the
 * Python worker (test/conformance/harness.ts, COGTS_CONFORMANCE_PYTHON). Predictors without a recorded source
 * (strings, listout, secret, concat, import_error) stay the TypeScript twins. Transcript 01 is left out: it checks
 * the twin's bundled openapi.json byte for byte and a STARTING window of a 1 s setup.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "../server/helpers.js";

describe("conformance transcripts 02-07 against the Python originals", () => {
  it("pass as they do against the TypeScript twins", async () => {
    const vitest = join(ROOT, "node_modules", "vitest", "vitest.mjs");
    const files = ["inputs-outputs", "files", "lifecycle", "async-webhooks", "streaming"].map(
      (name) => `test/conformance/${name}.test.ts`,
    );
    const result = await promisify(execFile)(process.execPath, [vitest, "run", ...files], {
      cwd: ROOT,
      env: { ...process.env, COGTS_CONFORMANCE_PYTHON: "1", CI: "1", NO_COLOR: "1" },
      timeout: 700_000,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output, output.slice(-4000)).toMatch(/Test Files\s+5 passed/);
    expect(output).not.toMatch(/Tests?(?: Files)?\s+\d+ failed/);
    expect(output).toMatch(/Tests\s+\d+ passed/);
  }, 720_000);
});
