/**
 * The object serialised as the `run.cog.config` image label (docs/spec/cog-contract.md §1.5): Cog marshals its Config with
 * every field omitempty except `build`, the predictor under `predict`, and a one-source weights list as a plain
 * object. Empty lists, `gpu: false` and unset strings are left out here for the same reason.
 */
import type { Config } from "./types.js";

export function configForLabel(config: Config): Record<string, unknown> {
  const b = config.build;
  const build: Record<string, unknown> = {};
  if (b.gpu) build.gpu = true;
  // A Python model's build reads as Cog's (its Go struct's field order); node_version is cogts's key for TypeScript.
  const python = [config.predict, config.train].some((ref) => ref !== undefined && /\.py:/.test(ref));
  if (python) {
    if (b.python_version) build.python_version = b.python_version;
    if (b.python_requirements) build.python_requirements = b.python_requirements;
    if (b.python_packages?.length) build.python_packages = b.python_packages;
  } else {
    build.node_version = b.node_version;
  }
  if (b.run.length > 0)
    build.run = b.run.map((r) =>
      r.mounts?.length ? { command: r.command, mounts: r.mounts } : { command: r.command },
    );
  if (b.system_packages.length > 0) build.system_packages = b.system_packages;
  if (b.cuda) build.cuda = b.cuda;
  if (b.cudnn) build.cudnn = b.cudnn;
  if (python && b.sdk_version) build.sdk_version = b.sdk_version;

  const label: Record<string, unknown> = { build };
  if (config.image) label.image = config.image;
  if (config.model) label.model = config.model;
  if (config.predict) label.predict = config.predict;
  if (config.train) label.train = config.train;
  if (config.concurrency) label.concurrency = { max: config.concurrency.max };
  if (config.environment.length > 0) label.environment = config.environment;
  if (config.weights?.length) {
    label.weights = config.weights.map((w) => ({
      name: w.name,
      target: w.target,
      source: Array.isArray(w.source) && w.source.length === 1 ? w.source[0] : w.source,
    }));
  }
  return label;
}
