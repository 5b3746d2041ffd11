/**
 * From validated cog.yaml data to the completed `Config`: defaults filled, `run:` stored as `predict` (as Cog
 * does), `build.run` strings turned into `{command}`, versions kept as the text the user wrote, and with
 * `gpu: true` the CUDA/cuDNN pair resolved (cog.yaml, else the project's GPU npm packages or, for a Python
 * predictor, its torch/tensorflow pins, else the default).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveCuda } from "./cuda.js";
import { predictorLanguage } from "./python-check.js";
import { requirementLines, resolvePythonCuda } from "./python-requirements.js";
import { UserError } from "../errors.js";
import type { BuildConfig, Config, RunCommand, WeightConfig } from "./types.js";
import type { Problem } from "./yaml-source.js";

/** The Node.js major a project gets when cog.yaml does not say: the current LTS. */
export const DEFAULT_NODE_VERSION = "22";

type Mapping = Record<string, any>;

interface CompletionInput {
  data: Mapping;
  dir: string;
  /** Source text of a scalar (so `cuda: 12.10` stays "12.10", not the number 12.1). */
  sourceTextOf(path: (string | number)[]): string | undefined;
}

export function completeConfig({ data, dir, sourceTextOf }: CompletionInput): { config?: Config; problems: Problem[] } {
  const build: Mapping = data.build ?? {};
  const versionAt = (key: string): string | undefined => {
    const value: unknown = build[key];
    if (value === undefined) return undefined;
    return typeof value === "number" ? (sourceTextOf(["build", key]) ?? String(value)) : String(value).trim();
  };
  const completedBuild: BuildConfig = {
    gpu: build.gpu === true,
    node_version: versionAt("node_version") ?? DEFAULT_NODE_VERSION,
    system_packages: [...(build.system_packages ?? [])],
    run: (build.run ?? []).map(toRunCommand),
  };
  // A Python predictor's keys (the semantic check rejected them for a TypeScript one).
  const pythonVersion = versionAt("python_version");
  if (pythonVersion !== undefined) completedBuild.python_version = pythonVersion;
  if (Array.isArray(build.python_packages)) completedBuild.python_packages = [...(build.python_packages as string[])];
  if (typeof build.python_requirements === "string") completedBuild.python_requirements = build.python_requirements;
  const sdkVersion = versionAt("sdk_version");
  if (sdkVersion !== undefined) completedBuild.sdk_version = sdkVersion;
  const cuda = versionAt("cuda");
  const cudnn = versionAt("cudnn");
  const problems: Problem[] = [];
  if (completedBuild.gpu) {
    try {
      // A Python model's CUDA comes from its torch/tensorflow pins, a TypeScript one's from its GPU npm packages.
      const choice =
        predictorLanguage(data).language === "python"
          ? resolvePythonCuda({ cuda, cudnn }, requirementLines(completedBuild, dir))
          : resolveCuda({ cuda, cudnn }, projectDependencies(dir));
      completedBuild.cuda = choice.cuda;
      completedBuild.cudnn = choice.cudnn;
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      problems.push({
        path: ["build", cudnn !== undefined ? "cudnn" : cuda !== undefined ? "cuda" : "gpu"],
        message: `${err.message}. ${err.problems.join(" ")}`.replace(/\.\./g, "."),
      });
    }
  } else {
    if (cuda !== undefined) completedBuild.cuda = cuda;
    if (cudnn !== undefined) completedBuild.cudnn = cudnn;
  }
  if (problems.length > 0) return { problems };

  const config: Config = { build: completedBuild, environment: [...(data.environment ?? [])] };
  const nonEmpty = (value: unknown): string | undefined =>
    typeof value === "string" && value !== "" ? value : undefined;
  const image = nonEmpty(data.image);
  const model = nonEmpty(data.model);
  const predict = nonEmpty(data.run) ?? nonEmpty(data.predict);
  const train = nonEmpty(data.train);
  if (image) config.image = image;
  if (model) config.model = model;
  if (predict) config.predict = predict;
  if (train) config.train = train;
  // Cog's Go struct has only `max`, so `default_target` is parsed and dropped, as there.
  if (data.concurrency) config.concurrency = { max: data.concurrency.max };
  if (Array.isArray(data.weights) && data.weights.length > 0) config.weights = data.weights.map(toWeight);
  // A stable key order, so the completed config and its label read the same as Cog's.
  return { config: orderKeys(config), problems };
}

function toRunCommand(item: string | Mapping): RunCommand {
  if (typeof item === "string") return { command: item };
  const command: RunCommand = { command: item.command };
  if (Array.isArray(item.mounts) && item.mounts.length > 0) {
    command.mounts = item.mounts.map((m: Mapping) => ({ type: m.type, id: m.id, target: m.target }));
  }
  return command;
}

function toWeight(weight: Mapping): WeightConfig {
  return { name: weight.name, target: weight.target, source: weight.source };
}

function orderKeys(config: Config): Config {
  const order: (keyof Config)[] = [
    "build",
    "image",
    "model",
    "predict",
    "train",
    "concurrency",
    "environment",
    "weights",
  ];
  return Object.fromEntries(
    order.filter((k) => config[k] !== undefined).map((k) => [k, config[k]]),
  ) as unknown as Config;
}

/** The project's npm dependencies, to infer CUDA from GPU packages; none when there is no readable package.json. */
function projectDependencies(dir: string): Record<string, string> {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    return pkg.dependencies ?? {};
  } catch {
    return {};
  }
}
