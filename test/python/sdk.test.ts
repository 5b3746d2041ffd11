/**
 * The Python SDK's own unit tests (test/python/sdk/test_*.py, Python's unittest) run by `npm test`, with
 * runtime/python on PYTHONPATH, under `python3` (or $COGTS_PYTHON).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "../server/helpers.js";

describe("Python SDK (unittest)", () => {
  it("passes its unit tests", async () => {
    const python = process.env.COGTS_PYTHON || "python3";
    const dir = join(ROOT, "test", "python", "sdk");
    const result = await promisify(execFile)(python, ["-m", "unittest", "discover", "-s", dir, "-t", dir, "-v"], {
      cwd: ROOT,
      env: { ...process.env, PYTHONPATH: join(ROOT, "runtime", "python"), PYTHONDONTWRITEBYTECODE: "1" },
      timeout: 120_000,
    }).catch((error: { stdout: string; stderr: string }) => error);
    // unittest reports on stderr; a failure ends with "FAILED (…)" and a non-zero exit (the catch above).
    expect(result.stderr).toMatch(/Ran (\d+) tests/);
    expect(Number(/Ran (\d+) tests/.exec(result.stderr)![1])).toBeGreaterThanOrEqual(25);
    expect(result.stderr).toMatch(/\nOK\n?$/);
  });
});
