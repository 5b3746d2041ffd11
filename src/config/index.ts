/**
 * cog.yaml: load, validate, complete. Entry points: `loadConfig`, `inspectConfig` (for `cog doctor`, which wants
 * the problems rather than an exception), `defaultImageName`, `configForLabel`.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { checkAgainstSchema } from "./schema-check.js";
import { checkSemantics } from "./semantic-check.js";
import { completeConfig } from "./complete.js";
import { parseYamlSource, type Problem, type YamlSource } from "./yaml-source.js";
import type { Config } from "./types.js";

export type { Config } from "./types.js";
export { configForLabel } from "./label.js";
export { DEFAULT_NODE_VERSION } from "./complete.js";
export { cudaBaseImage, resolveCuda } from "./cuda.js";
export { type ResolvedRequirements, requirementLines, resolveRequirements } from "./python-requirements.js";

export interface ConfigInspection {
  /** The config file as the user named it (`cog.yaml`, `other.yaml`), which every problem line starts with. */
  file: string;
  /** The completed config, when there are no problems. */
  config?: Config;
  /** `FILE:LINE:COL: message` lines, in file order. */
  problems: string[];
  /** How many problems there are, when more than the lines in `problems` (which stop at 100 and say so). */
  problemCount?: number;
  /** Set when the file could not be read at all (missing, a directory): one sentence with the fix. */
  unreadable?: string;
  /** Which key named the predictor (`run` or its deprecated spelling `predict`), for pointing at it. */
  predictorKey?: "run" | "predict";
  /** `FILE:LINE:COL` of a key's value (e.g. `["run"]`), or of the key itself, for problems found later. */
  locate(path: (string | number)[], at?: "key" | "value"): string;
}

/**
 * Reads `file` (relative to `dir`) and returns the completed Config, or throws one UserError listing every problem.
 *
 * @example const config = await loadConfig(process.cwd()); // config.predict === "predict.ts:Predictor"
 */
export async function loadConfig(dir: string, file = "cog.yaml"): Promise<Config> {
  const inspection = await inspectConfig(dir, file);
  if (inspection.unreadable) throw new UserError(inspection.unreadable);
  if (!inspection.config) {
    const n = inspection.problemCount ?? inspection.problems.length;
    throw new UserError(`${file} is not valid (${n} problem${n === 1 ? "" : "s"}):`, inspection.problems);
  }
  return inspection.config;
}

/**
 * loadConfig for the commands that build or run the project: it also refuses, at their `FILE:LINE:COL`, the keys
 * Cog accepts that cogts cannot act on (`weights`, `model`), rather than build an image without them.
 */
export async function loadConfigToRun(dir: string, file = "cog.yaml"): Promise<Config> {
  const config = await loadConfig(dir, file);
  const { unsupportedKeyProblems } = await import("./unsupported.js");
  const inspection = await inspectConfig(dir, file);
  const line = (problem: string) => Number(/:(\d+):\d+: /.exec(problem)?.[1] ?? 0);
  const problems = unsupportedKeyProblems(config, inspection.locate).sort((a, b) => line(a) - line(b));
  if (problems.length > 0)
    throw new UserError(
      `${file} uses ${problems.length === 1 ? "a key" : "keys"} that cogts does not support:`,
      problems,
    );
  return config;
}

/** Like loadConfig, but returns the problems instead of throwing them. */
export async function inspectConfig(dir: string, file = "cog.yaml"): Promise<ConfigInspection> {
  const path = isAbsolute(file) ? file : join(dir, file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const unreadable =
      code === "ENOENT"
        ? `${file} not found in ${resolve(dir)}: run \`cog init\` to create one, or pass -f FILE to use another config file.`
        : code === "EISDIR"
          ? `${file} is a directory, not a config file: pass -f FILE with the path of your cog.yaml.`
          : `cannot read ${file}: ${(err as Error).message}.`;
    return { file, problems: [], unreadable, locate: () => file };
  }
  const source = parseYamlSource(text);
  const locate = (keyPath: (string | number)[], at?: "key" | "value"): string => {
    const { line, col } = source.positionOf(keyPath, at);
    return `${file}:${line}:${col}`;
  };
  if (source.syntaxErrors.length > 0) {
    const sorted = source.syntaxErrors.sort((a, b) => a.position.offset - b.position.offset);
    const problems = sorted
      .slice(0, MAX_PROBLEMS)
      .map(({ position, message }) => `${file}:${position.line}:${position.col}: ${message}`);
    if (sorted.length > problems.length)
      problems.push(`${file}: ${sorted.length - problems.length} more problems not shown: fix these and run again.`);
    return { file, problems, problemCount: sorted.length, locate };
  }
  const data = source.data ?? {};
  const schema = await checkAgainstSchema(data, MAX_PROBLEMS);
  const semantic = checkSemantics(data, dir, source.sourceTextOf);
  const total = schema.total + semantic.length;
  if (total > 0)
    return {
      file,
      problems: place([...schema.problems, ...semantic], source, file, total),
      problemCount: total,
      locate,
    };
  const { config, problems } = completeConfig({
    data: data as Record<string, unknown>,
    dir,
    sourceTextOf: source.sourceTextOf,
  });
  const predictorKey =
    typeof (data as Record<string, unknown>).run === "string" && (data as Record<string, unknown>).run !== ""
      ? "run"
      : "predict";
  return { file, config, problems: place(problems, source, file), locate, predictorKey };
}

/** Problems reported at once: past this a file (generated, or hostile) is reported in part and the count said. */
const MAX_PROBLEMS = 100;

function place(problems: Problem[], source: YamlSource, file: string, total = problems.length): string[] {
  const lines = problems
    .map((problem) => ({ problem, position: source.positionOf(problem.path, problem.at) }))
    .sort((a, b) => a.position.offset - b.position.offset)
    .slice(0, MAX_PROBLEMS)
    .map(({ problem, position }) => `${file}:${position.line}:${position.col}: ${problem.message}`);
  if (total > lines.length)
    lines.push(
      `${file}: ${total - lines.length} more problem${total - lines.length === 1 ? "" : "s"} not shown: fix these and run again.`,
    );
  return lines;
}

/**
 * The project directory, as Cog finds it: the nearest directory, from `start` upwards, that holds `file`; so
 * `cog build` works from a subdirectory. Undefined when no directory up to the root has it.
 *
 * @example const dir = findProjectDir(process.cwd()) ?? process.cwd();
 */
export function findProjectDir(start: string, file = "cog.yaml"): string | undefined {
  if (isAbsolute(file)) return resolve(start);
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, file))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The image name when cog.yaml has no `image`: Cog's rule, `cog-<directory name>` lowercased, spaces to `-`, only
 * `[a-z0-9-]`, at most 30 characters.
 *
 * @example defaultImageName("/home/me/My Model") // "cog-my-model"
 */
export function defaultImageName(dir: string): string {
  const prefix = "cog-";
  let name = basename(resolve(dir))
    .toLowerCase()
    .replace(/ /g, "-")
    .replace(/[^a-z0-9-]+/g, "");
  name = name.slice(0, 30 - prefix.length);
  return name.startsWith(prefix) ? name : `${prefix}${name}`;
}
