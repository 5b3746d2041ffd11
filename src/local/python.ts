/**
 * The Python that runs a `.py` predictor on this machine (`cog run/serve --no-docker`): $COGTS_PYTHON, else
 * `python3` on PATH, resolved to its real binary and checked to be 3.10 or newer (Cog's minimum). The server is
 * given the resolved binary, so a version manager's shim runs once, not at every worker start.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { UserError } from "../errors.js";

interface FoundPython {
  executable: string;
  version: string;
}

const MINIMUM = [3, 10] as const;

export async function findPython(env: NodeJS.ProcessEnv = process.env): Promise<FoundPython> {
  const requested = env.COGTS_PYTHON || "python3";
  const how = env.COGTS_PYTHON ? `COGTS_PYTHON (${requested})` : "python3 on PATH";
  let text: string;
  try {
    ({ stdout: text } = await promisify(execFile)(
      requested,
      ["-c", "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])"],
      { env, timeout: 60_000 },
    ));
  } catch (error) {
    throw new UserError(`cannot run ${how} for the Python predictor: ${(error as Error).message.split("\n")[0]}`, [
      `install Python ${MINIMUM.join(".")} or newer, or set COGTS_PYTHON=/path/to/python3`,
    ]);
  }
  const [executable = requested, version = ""] = text.trim().split("\n");
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major < MINIMUM[0] || (major === MINIMUM[0] && minor < MINIMUM[1])) {
    throw new UserError(
      `${how} is Python ${version} (${executable}); Python predictors need ${MINIMUM.join(".")} or newer`,
      ["set COGTS_PYTHON=/path/to/python3.10-or-newer, or put a newer python3 first on PATH"],
    );
  }
  return { executable, version };
}
