/**
 * What a Python model's build puts into `.cog/build/` beside the runtime bundle: cogts's `cog` package and worker
 * (runtime/python, copied to /opt/cogts/runtime/python in the image) and the requirements the image installs.
 *
 * A package index setting (COGTS_PYTHON_INDEX_URL, else PIP_INDEX_URL, else UV_INDEX_URL) goes into that
 * requirements file as `--index-url` (and `--trusted-host` for plain http), which pip and uv both read from a
 * requirements file: a mirror changes what the image installs from, never the Dockerfile.
 */
import { cp, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Config } from "../config/index.js";
import { requirementLines, resolveRequirements, type ResolvedRequirements } from "../config/index.js";
import { PACKAGE_ROOT } from "../version.js";
import { PYTHON_SDK_BUILD_DIR, REQUIREMENTS_BUILD_FILE, hasPythonRequirements } from "./python.js";

/** The Python package index to install from instead of PyPI; undefined means pip's and uv's own default. */
export function pythonIndexSetting(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.COGTS_PYTHON_INDEX_URL || env.PIP_INDEX_URL || env.UV_INDEX_URL || undefined;
}

/**
 * The requirements the image installs (undefined when cog.yaml names none), resolved as
 * src/config/python-requirements.ts says, with the index setting first.
 *
 * @example pythonRequirementsFor(config, dir, "http://127.0.0.1:5200/simple")?.text // "--index-url http://…\n--trusted-host 127.0.0.1\nrequests==2.32.3\n"
 */
export function pythonRequirementsFor(
  config: Config,
  dir: string,
  index = pythonIndexSetting(),
): ResolvedRequirements | undefined {
  if (!hasPythonRequirements(config)) return undefined;
  const resolved = resolveRequirements(config, requirementLines(config.build, dir));
  if (!index) return resolved;
  const head = [`--index-url ${index}`];
  // pip refuses plain http from a host it is not told to trust; https needs no such line.
  if (/^http:\/\//i.test(index)) head.push(`--trusted-host ${new URL(index).hostname}`);
  return {
    text: `${head.join("\n")}\n${resolved.text}`,
    notes: [...resolved.notes, `packages come from ${index} (package index setting)`],
  };
}

/** Writes `.cog/build/python/` (cogts's Python runtime) and, when given, `.cog/build/requirements.txt`. */
export async function writePythonBuildFiles(dir: string, requirements: string | undefined): Promise<void> {
  const sdk = path.join(dir, PYTHON_SDK_BUILD_DIR);
  await rm(sdk, { recursive: true, force: true });
  await mkdir(sdk, { recursive: true });
  await cp(path.join(PACKAGE_ROOT, "runtime", "python", "cog"), path.join(sdk, "cog"), {
    recursive: true,
    preserveTimestamps: true,
    filter: (source) => !source.includes("__pycache__") && !source.endsWith(".test.py"),
  });
  const file = path.join(dir, REQUIREMENTS_BUILD_FILE);
  // Removed first, so that a link planted there is replaced rather than written through.
  await rm(file, { force: true });
  if (requirements !== undefined) await writeFile(file, requirements);
}
