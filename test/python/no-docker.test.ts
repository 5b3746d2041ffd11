/**
 * `cog run --no-docker` and `cog serve --no-docker` on a Python project, as a user runs them (bin/cog.js as a child
 * process, dist/ built): the machine's python3 runs the predictor, the project's own modules import, and a Python
 * that is too old or missing is a clear error naming COGTS_PYTHON.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../../src/docker/container.js";
import { COG_BIN, runCog } from "../helpers/cli.js";
import { PY_FIXTURES } from "./helpers.js";

const run = (args: string[], env: Record<string, string> = {}) =>
  runCog(args, { cwd: join(PY_FIXTURES, "features"), env: { ...process.env, ...env }, timeoutMs: 120_000 });

describe("cog run/serve --no-docker with a Python predictor", () => {
  it("cog run prints the output of predict.py (which imports helpers.py from the project)", async () => {
    const result = await run(["run", "--no-docker", "-i", "text=hello"]);
    expect(result.stdout).toBe("HELLO\n");
    expect(result.code).toBe(0);
  });

  it("names the Python it found and how to choose another when it is older than 3.10", async () => {
    const fake = join(mkdtempSync(join(tmpdir(), "cogts-fakepy-")), "python3");
    writeFileSync(fake, "#!/bin/sh\necho /opt/old/bin/python3\necho 3.9.18\n");
    chmodSync(fake, 0o755);
    const result = await run(["run", "--no-docker", "-i", "text=x"], { COGTS_PYTHON: fake });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is Python 3.9.18 (/opt/old/bin/python3); Python predictors need 3.10 or newer");
    expect(result.stderr).toContain("COGTS_PYTHON=");
  });

  it("says so when the Python cannot be run", async () => {
    const result = await run(["run", "--no-docker", "-i", "text=x"], { COGTS_PYTHON: "/nonexistent/python3" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot run COGTS_PYTHON (/nonexistent/python3) for the Python predictor");
  });

  it("cog serve answers predictions over HTTP", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [COG_BIN, "serve", "--no-docker", "-p", String(port)], {
      cwd: join(PY_FIXTURES, "features"),
      stdio: "ignore",
    });
    try {
      const deadline = Date.now() + 60_000;
      let status = "";
      while (Date.now() < deadline && status !== "READY") {
        status = await fetch(`http://127.0.0.1:${port}/health-check`).then(
          async (r) => ((await r.json()) as { status: string }).status,
          () => "",
        );
        if (status !== "READY") await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe("READY");
      const response = await fetch(`http://127.0.0.1:${port}/predictions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input: { text: "served" } }),
      });
      expect(await response.json()).toMatchObject({ status: "succeeded", output: "SERVED" });
    } finally {
      child.kill("SIGTERM");
    }
  });
});
