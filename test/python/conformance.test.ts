/**
 * The conformance suite's transcripts 05 (async, busy, PUT, cancel, webhooks) and 06 (iterator outputs, their
 * webhooks, SSE) run once more, as they are, with every predictor whose Python original was recorded (sleep,
 * iterator) served from that predict.py by the Python worker (test/conformance/harness.ts, COGTS_CONFORMANCE_PYTHON).
 * `concat` has no recorded source and stays the TypeScript twin.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "../server/helpers.js";

describe("conformance transcripts 05 and 06 against the Python originals", () => {
  it("pass as they do against the TypeScript twins", async () => {
    const vitest = join(ROOT, "node_modules", "vitest", "vitest.mjs");
    const files = ["test/conformance/async-webhooks.test.ts", "test/conformance/streaming.test.ts"];
    const result = await promisify(execFile)(process.execPath, [vitest, "run", ...files], {
      cwd: ROOT,
      env: { ...process.env, COGTS_CONFORMANCE_PYTHON: "1", CI: "1", NO_COLOR: "1" },
      timeout: 400_000,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output, output.slice(-4000)).toMatch(/Test Files\s+2 passed/);
    expect(output).not.toMatch(/failed/i);
  }, 420_000);
});
