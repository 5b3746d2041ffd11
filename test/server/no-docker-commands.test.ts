/** `cog run --no-docker` and `cog serve --no-docker` in this process: their command objects with captured output. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/commands/run.js";
import { serveCommand } from "../../src/cli/commands/serve.js";
import { capture } from "../helpers/cli.js";
import { FIXTURES, serverEntry } from "./helpers.js";

async function cogRun(fixture: string, args: { input?: string[]; output?: string; cwd?: string }) {
  const stdout = capture();
  const stderr = capture();
  let code: number;
  let error: Error | undefined;
  try {
    code = await runCommand.run({
      options: {
        "no-docker": true,
        file: "cog.yaml",
        input: args.input ?? [],
        output: args.output,
        "setup-timeout": "0",
        progress: "auto",
      },
      positionals: [],
      rest: [],
      stdout: stdout.stream,
      stderr: stderr.stream,
      cwd: args.cwd ?? join(FIXTURES, fixture),
    });
  } catch (caught) {
    error = caught as Error;
    code = 1;
  }
  return { code, stdout: stdout.text(), stderr: stderr.text(), error };
}

describe("cog run --no-docker", () => {
  let work: string;
  beforeAll(() => {
    process.env.COGTS_SERVER_ENTRY = serverEntry();
    work = mkdtempSync(join(tmpdir(), "cogts-run-"));
  });
  afterAll(() => {
    delete process.env.COGTS_SERVER_ENTRY;
    rmSync(work, { recursive: true, force: true });
  });

  it("prints a text output to stdout", async () => {
    const r = await cogRun("echo", { input: ["text=hi there"] });
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("hi there\n");
  });

  it("types inputs by the schema (numbers, JSON lists) and prints objects as JSON", async () => {
    const r = await cogRun("constraints", { input: ["prompt=hey", "steps=3", "sizes=[1,2]"] });
    expect(r.error).toBeUndefined();
    expect(JSON.parse(r.stdout)).toMatchObject({ prompt: "hey", steps: 3, sizes: [1, 2] });
  });

  it("sends -i name=@file and writes file outputs to the working directory (or -o)", async () => {
    const input = join(work, "in.png");
    writeFileSync(input, "pixels");
    const r = await cogRun("files", { input: [`image=@${input}`], output: join(work, "result.png") });
    expect(r.error).toBeUndefined();
    expect(readFileSync(join(work, "result.0.png"), "utf8")).toBe("copy:pixels");
  });

  it("writes a single file output as output.<ext> in the working directory (a subdirectory of the project)", async () => {
    const cwd = mkdtempSync(join(FIXTURES, "path_out", "run-"));
    try {
      const r = await cogRun("path_out", { input: ["text=to disk"], cwd });
      expect(r.error).toBeUndefined();
      expect(readFileSync(join(cwd, "output.txt"), "utf8")).toBe("to disk");
      expect(r.stderr).toContain("Written output to: output.txt");
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("fails with exit 1 and the prediction's error", async () => {
    const r = await cogRun("sleep", { input: ["fail=true"] });
    expect(r.error?.message).toMatch(/the prediction failed: the predictor failed on purpose/);
  });

  it("reports invalid inputs and unknown names clearly, in Cog's words, before the predictor starts", async () => {
    expect((await cogRun("constraints", { input: ["prompt=x", "sizes=[1]"] })).error?.message).toMatch(
      /^invalid input "prompt": "x" is shorter than 2 characters$/,
    );
    expect((await cogRun("echo", { input: ["nope=1"] })).error?.message).toMatch(
      /^unknown input "nope"; valid inputs are: text$/,
    );
    expect((await cogRun("constraints", { input: ["prompt=hey", "steps=many", "sizes=[1]"] })).error?.message).toBe(
      'invalid input "steps": expected integer, got string',
    );
  });

  it("reports a setup failure with its logs", async () => {
    const r = await cogRun("setup_fail", {});
    expect(r.error?.message).toMatch(/setup failed:[\s\S]*weights are missing/);
  });
});

describe("cog serve --no-docker", () => {
  it("serves the project's predictor until POST /shutdown, then exits 0", async () => {
    process.env.COGTS_SERVER_ENTRY = serverEntry();
    const stderr = capture();
    try {
      const running = serveCommand.run({
        options: {
          "no-docker": true,
          file: "cog.yaml",
          port: "0",
          host: "127.0.0.1",
          progress: "auto",
          "playground-port": "9000",
        },
        positionals: [],
        rest: [],
        stdout: capture().stream,
        stderr: stderr.stream,
        cwd: join(FIXTURES, "echo"),
      });
      let url: string | undefined;
      for (let i = 0; i < 400 && !url; i++) {
        url = /Serving at (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr.text())?.[1];
        if (!url) await new Promise((r) => setTimeout(r, 25));
      }
      expect(url).toBeDefined();
      for (let i = 0; i < 400; i++) {
        const health = (await (await fetch(`${url}/health-check`)).json()) as { status: string };
        if (health.status === "READY") break;
        await new Promise((r) => setTimeout(r, 25));
      }
      const response = await fetch(`${url}/predictions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input: { text: "served" } }),
      });
      expect(((await response.json()) as { output: string }).output).toBe("served");
      await fetch(`${url}/shutdown`, { method: "POST" });
      expect(await running).toBe(0);
    } finally {
      delete process.env.COGTS_SERVER_ENTRY;
    }
  });

  it("rejects a port that is not a number", async () => {
    await expect(
      serveCommand.run({
        options: {
          "no-docker": true,
          file: "cog.yaml",
          port: "http",
          host: "127.0.0.1",
          progress: "auto",
          "playground-port": "9000",
        },
        positionals: [],
        rest: [],
        stdout: capture().stream,
        stderr: capture().stream,
        cwd: join(FIXTURES, "echo"),
      }),
    ).rejects.toThrow(/--port must be a port number/);
  });
});
