/**
 * The completed cog.yaml, as `loadConfig` returns it. Key names are Cog's (snake_case) so that
 * `JSON.stringify(configForLabel(config))` is the `run.cog.config` label Cog writes (docs/spec/cog-contract.md §1.5).
 */
export interface SecretMount {
  type: "secret";
  id: string;
  target: string;
}

export interface RunCommand {
  command: string;
  mounts?: SecretMount[];
}

export interface BuildConfig {
  gpu: boolean;
  /** Ours: Node.js major version for the image, e.g. "22". Completed to the default when absent. */
  node_version: string;
  /** CUDA major.minor; completed from the dependency table when gpu is true. */
  cuda?: string;
  /** cuDNN major; completed when gpu is true. */
  cudnn?: string;
  system_packages: string[];
  /** Both spellings of cog.yaml (string or {command, mounts}) arrive here as objects. */
  run: RunCommand[];
  // Python-only keys: parsed so a Cog project's cog.yaml loads, rejected while the predictor is TypeScript.
  python_version?: string;
  python_packages?: string[];
  python_requirements?: string;
  pre_install?: string[];
  sdk_version?: string;
}

export interface WeightSource {
  uri: string;
  include?: string[];
  exclude?: string[];
}

export interface WeightConfig {
  name: string;
  target: string;
  source: WeightSource | WeightSource[];
}

export interface Config {
  build: BuildConfig;
  image?: string;
  model?: string;
  /** The predictor, `FILE:Class`. cog.yaml's `run:` (new) and `predict:` (deprecated) both land here, as in Cog. */
  predict?: string;
  train?: string;
  concurrency?: { max: number };
  environment: string[];
  weights?: WeightConfig[];
}
