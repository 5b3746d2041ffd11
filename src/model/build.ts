/**
 * `cog build` and everything that needs an image first (run, serve, exec, push): the prepared Dockerfile, the
 * `.cog/build` staging, then the engine build with Cog's labels.
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import type { Config } from "../config/index.js";
import { UserError } from "../errors.js";
import { BUILD_DIR } from "../dockerfile/index.js";
import type { ProgressMode } from "../docker/index.js";
import { imageLabels, modelBaseLabels, modelBaseName } from "./labels.js";
import { prepareBuild, type PrepareRequest } from "./prepare.js";
import { prepareBuildDir } from "./stage.js";

export interface BuildRequest extends PrepareRequest {
  /** Image name; default from cog.yaml `image`, else `cog-<dirname>`. */
  tag?: string;
  /** `id=NAME,src=PATH` as `docker build --secret`. */
  secrets?: string[];
  noCache?: boolean;
  progress?: ProgressMode;
  /** Where progress goes (stderr). */
  out: NodeJS.WritableStream;
  docker?: Docker;
  /** Force the builder: false builds the classic variant even on an engine with BuildKit. Default: what the engine has. */
  buildkit?: boolean;
  /** Labels beyond Cog's standard set, e.g. `run.cog.push_id` for `cog push`. */
  extraLabels?: Record<string, string>;
}

export interface BuiltImage {
  tag: string;
  id: string;
  config: Config;
  schema?: object;
  labels: Record<string, string>;
}

/** Builds the project's image and returns its tag, id and what went into its labels. */
export async function buildModel(request: BuildRequest): Promise<BuiltImage> {
  const { requireEngine, engineStatus } = await import("../docker/index.js");
  const { defaultImageName } = await import("../config/index.js");
  const { dir } = request.project;
  const docker = request.docker ?? (await requireEngine());
  const buildkit = request.buildkit ?? (await engineStatus(docker)).buildkit ?? false;
  const { parseSecret } = await import("../docker/index.js");
  const secretSpecs = (request.secrets ?? []).map(parseSecret);
  if (secretSpecs.length > 0 && !buildkit) {
    throw new UserError(
      "--secret needs BuildKit, and this engine builds with the classic builder: use Docker 20.10 or newer.",
    );
  }
  const prepared = await prepareBuild(request, buildkit);
  const given = new Set(secretSpecs.map((spec) => spec.id));
  const missing = prepared.config.build.run.flatMap((step, index) =>
    (step.mounts ?? [])
      .filter((mount) => !given.has(mount.id))
      .map((mount) => `build.run[${index}] mounts the secret ${mount.id}: pass --secret id=${mount.id},src=FILE`),
  );
  // BuildKit would run the step with nothing at the target and fail on whatever the command does with it.
  if (missing.length > 0) throw new UserError("cog build is missing secrets that cog.yaml uses:", missing);
  const name = request.tag ?? prepared.config.image ?? defaultImageName(dir);
  const tag = request.modelBase ? modelBaseName(name) : name;
  const labels = request.modelBase
    ? await modelBaseLabels(prepared.config)
    : await imageLabels(dir, prepared.config, prepared.schema);
  Object.assign(labels, request.extraLabels);
  const { buildImage, createProgress } = await import("../docker/index.js");
  const dockerfilePath = await prepareBuildDir(dir, {
    dockerfile: prepared.dockerfile,
    schema: prepared.schema,
    caCertificates: prepared.caCertificates,
    typescript: prepared.facts.hasTypeScript,
  });
  const { IMAGE_NPM_DIR, writeImageNpmFiles } = await import("../dockerfile/index.js");
  await writeImageNpmFiles(dir, path.join(dir, BUILD_DIR, IMAGE_NPM_DIR), prepared.facts.lockfile);
  const python = await import("../dockerfile/index.js");
  if (python.isPythonConfig(prepared.config)) {
    await (await import("../dockerfile/index.js")).writePythonBuildFiles(dir, prepared.pythonRequirements?.text);
  }
  const contextDir = request.modelBase ? await modelBaseContext(dir) : dir;
  const progress = createProgress(request.progress ?? "auto", request.out);
  try {
    const id = await buildImage({
      docker,
      contextDir,
      dockerfile: dockerfilePath,
      tag,
      labels,
      buildkit,
      noCache: request.noCache,
      progress,
      // Secrets reach BuildKit through a client session, never through the context or a build argument.
      secrets: secretSpecs,
    });
    return { tag, id, config: prepared.config, schema: prepared.schema, labels };
  } finally {
    if (contextDir !== dir) await rm(contextDir, { recursive: true, force: true });
  }
}

/**
 * The model base copies nothing from the context but `.cog/build/` (runtime bundle, CA certificates, Dockerfile,
 * the pruned npm manifests), so its context is a temporary directory of just those: the code and, above all, the
 * weights stay off the wire at each `cog serve` start. Files keep their bytes and modes, so the cache still hits.
 */
async function modelBaseContext(dir: string): Promise<string> {
  const context = await mkdtemp(path.join(tmpdir(), "cogts-base-context-"));
  const transpiled = path.join(dir, BUILD_DIR, "js");
  await cp(path.join(dir, BUILD_DIR), path.join(context, BUILD_DIR), {
    recursive: true,
    preserveTimestamps: true,
    filter: (source) => source !== transpiled && !source.startsWith(`${transpiled}${path.sep}`),
  });
  return context;
}
