/**
 * The command that starts the worker: Node.js for a TypeScript/JavaScript predictor, Python for a `.py` one
 * (`python3 -m cog._worker`, cogts's own `cog` package from runtime/python on PYTHONPATH). Both speak the same
 * channel (protocol.ts) on fd 3.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter } from "node:path";
import { fileURLToPath } from "node:url";
import { WORKER_ENTRY as NODE_WORKER } from "../worker/index.js";

/** runtime/python, from the compiled server (dist/runtime/server) or from the source tree (runtime/server). */
function pythonSdkDir(): string {
  const candidates = [new URL("../../../runtime/python/", import.meta.url), new URL("../python/", import.meta.url)].map(
    (u) => fileURLToPath(u),
  );
  return candidates.find((dir) => existsSync(`${dir}/cog/_worker.py`)) ?? candidates[0]!;
}

let resolved: { from: string; executable: string } | undefined;

/**
 * The interpreter for Python predictors: $COGTS_PYTHON, else `python3` on PATH, resolved once to the real binary
 * (`sys.executable`). A version manager's shim (pyenv's is a shell script that takes a second or more) would
 * otherwise run at every worker (re)start.
 */
function pythonExecutable(env: NodeJS.ProcessEnv): string {
  const from = env.COGTS_PYTHON || "python3";
  if (resolved?.from === from) return resolved.executable;
  let executable = from;
  try {
    executable =
      execFileSync(from, ["-c", "import sys; print(sys.executable)"], {
        encoding: "utf8",
        env,
        timeout: 30_000,
      }).trim() || from;
  } catch {
    // Not runnable: spawning it reports the problem as a setup failure.
  }
  resolved = { from, executable };
  return executable;
}

export function workerCommand(
  modulePath: string,
  env: NodeJS.ProcessEnv,
): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  if (modulePath.endsWith(".py")) {
    const sdk = pythonSdkDir();
    return {
      command: pythonExecutable(env),
      args: ["-m", "cog._worker"],
      env: {
        ...env,
        PYTHONPATH: env.PYTHONPATH ? `${sdk}${delimiter}${env.PYTHONPATH}` : sdk,
        // Prints reach the pipe as they are made, so they land in the prediction that made them.
        PYTHONUNBUFFERED: "1",
      },
    };
  }
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith("--inspect"));
  return { command: process.execPath, args: [...execArgv, NODE_WORKER], env };
}
