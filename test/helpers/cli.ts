/**
 * Running the CLI the two ways the tests need: `runCog` spawns the compiled `bin/cog.js` as a user runs it (needs
 * dist/: see ensureDistBuilt in dist.ts), `runMain` calls `main` in this process with captured output (no dist/).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { PassThrough } from "node:stream";
import { main } from "../../src/cli/main.js";
import { REPO_ROOT } from "./test-env.js";

/** The CLI entry a user runs (`cog`, `cogts`). */
export const COG_BIN = path.join(REPO_ROOT, "bin", "cog.js");

export interface CliResult {
  /** The exit code; -1 when the process ended by a signal (e.g. killed at `timeoutMs`). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCogOptions {
  cwd: string;
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Kills the child after this long; the result then has code -1. */
  timeoutMs?: number;
  /** Written to the child's stdin, which is then closed (`cog run --json @-`); without it stdin is empty. */
  input?: string;
}

/** `node bin/cog.js ARGS` in `cwd`; resolves with the exit code and both outputs whatever the code. */
export function runCog(args: string[], options: RunCogOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [COG_BIN, ...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    // Without input, stdin is at its end at once (as "ignore" would leave it), so a read of it does not wait.
    child.stdin.end(options.input);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** A stream to give a command as its stdout or stderr, and what was written to it so far. */
export function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

/** The CLI's `main(ARGS)` in this process, in `cwd`, with stdout and stderr captured. */
export async function runMain(args: string[], cwd: string): Promise<CliResult> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(args, { stdout: stdout.stream, stderr: stderr.stream, cwd });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
