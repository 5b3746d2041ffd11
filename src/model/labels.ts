/** Cog's labels (docs/spec/cog-contract.md §2.5) for a built image, and the name of a project's model base. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Config } from "../config/index.js";
import { COGTS_VERSION } from "../version.js";

const run = promisify(execFile);

async function git(dir: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run("git", args, { cwd: dir });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Cog's labels (docs/spec/cog-contract.md §2.5) for the built image. */
export async function imageLabels(
  dir: string,
  config: Config,
  schema: object | undefined,
): Promise<Record<string, string>> {
  const { configForLabel } = await import("../config/index.js");
  const labels: Record<string, string> = {
    "run.cog.version": COGTS_VERSION,
    "run.cog.config": JSON.stringify(configForLabel(config)),
    "run.cog.has_init": "true",
  };
  if (schema) labels["run.cog.openapi_schema"] = JSON.stringify(schema);
  const revision = process.env.GITHUB_SHA || (await git(dir, ["rev-parse", "HEAD"]));
  const version = process.env.GITHUB_REF_NAME || (await git(dir, ["describe", "--tags", "--dirty"]));
  if (revision) labels["org.opencontainers.image.revision"] = revision;
  if (version) labels["org.opencontainers.image.version"] = version;
  return labels;
}

/**
 * The labels of the model base: its code comes from the mount, so it carries no schema and no git labels, and an
 * unchanged base keeps its id.
 */
export async function modelBaseLabels(config: Config): Promise<Record<string, string>> {
  const { configForLabel } = await import("../config/index.js");
  return { "run.cog.version": COGTS_VERSION, "run.cog.config": JSON.stringify(configForLabel(config)) };
}

/** `cog-hello` → `cog-hello-base`, `r8.im/me/model:v2` → `r8.im/me/model-base` (a tag after the last `/` is dropped). */
export function modelBaseName(image: string): string {
  return `${image.replace(/:[^/:]*$/, "")}-base`;
}
