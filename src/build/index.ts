/**
 * `cog build` and everything that needs an image first (run, serve, exec): config → schema → Dockerfile →
 * build context → engine build with Cog's labels.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import type { Config } from "../config/types.js";
import { UserError } from "../errors.js";
import { BUILD_DIR, generateDockerfile } from "../dockerfile/generate.js";
import { readProjectFacts, type ProjectFacts } from "../dockerfile/project.js";
import { COGTS_VERSION } from "../version.js";
import { createProgress, type ProgressMode } from "../docker/progress.js";

export interface BuildRequest {
  dir: string;
  configFile?: string;
  /** Image name; default from cog.yaml `image`, else `cog-<dirname>`. */
  tag?: string;
  /** `id=NAME,src=PATH` as `docker build --secret`. */
  secrets?: string[];
  noCache?: boolean;
  progress?: ProgressMode;
  /** Base-image mirror (flag, else COGTS_BASE_IMAGE_MIRROR). */
  mirror?: string;
  /** Use this OpenAPI file instead of generating the schema. */
  openapiSchemaFile?: string;
  /** Do not generate or check a schema. */
  skipSchemaValidation?: boolean;
  /** Where progress goes (stderr). */
  out: NodeJS.WritableStream;
  docker?: Docker;
  /** Force the builder: false builds the classic variant even on an engine with BuildKit. Default: what the engine has. */
  buildkit?: boolean;
  /**
   * Build the model base instead (`cog serve`): the image without code, weights and schema, tagged `<name>-base`.
   * The project's TypeScript is still transpiled into `.cog/build/js/` and the schema written to `.cog/`, where
   * the container finds them through the mounted project.
   */
  modelBase?: boolean;
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

export interface PreparedBuild {
  config: Config;
  schema?: object;
  facts: ProjectFacts;
  dockerfile: string;
  caCertificates?: string;
  /** A Python model's resolved requirements (`.cog/build/requirements.txt`) and what was changed in them. */
  pythonRequirements?: import("../config/python-requirements.js").ResolvedRequirements;
}

/** The mirror setting: the flag wins over COGTS_BASE_IMAGE_MIRROR; empty means none. */
export function baseImageMirror(flag: string | undefined): string | undefined {
  return (flag ?? process.env.COGTS_BASE_IMAGE_MIRROR) || undefined;
}

async function loadSchema(request: BuildRequest, config: Config): Promise<object | undefined> {
  if (request.openapiSchemaFile) {
    const file = path.resolve(request.dir, request.openapiSchemaFile);
    try {
      return JSON.parse(await readFile(file, "utf8")) as object;
    } catch (err) {
      throw new UserError(`--openapi-schema ${request.openapiSchemaFile}: ${(err as Error).message}`);
    }
  }
  if (request.skipSchemaValidation) return undefined;
  if (!config.predict && !config.train) return undefined;
  const { generateSchema } = await import("../schema/index.js");
  return generateSchema({ dir: request.dir, predict: config.predict, train: config.train, configFile: request.configFile });
}

/**
 * Extra CA certificates for the build (e.g. a company proxy's): COGTS_CA_CERT (or Cog's COG_CA_CERT) names a PEM
 * file or holds PEM text. Undefined when neither is set.
 */
export async function extraCaCertificates(): Promise<string | undefined> {
  const value = process.env.COGTS_CA_CERT || process.env.COG_CA_CERT;
  if (!value) return undefined;
  if (value.trimStart().startsWith("-----BEGIN")) return value;
  try {
    return await readFile(value, "utf8");
  } catch (err) {
    throw new UserError(`COGTS_CA_CERT=${value}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)}); give a PEM file or PEM text.`);
  }
}

/** Throws the relative imports the image could not resolve (see import-check.ts), each at its file:line:col. */
export async function refuseUnresolvableImports(dir: string, ignored?: (relativePath: string, isDir: boolean) => boolean): Promise<void> {
  const { checkRelativeImports } = await import("../schema/import-check.js");
  const problems = await checkRelativeImports(dir, ignored);
  if (problems.length > 0) throw new UserError("Imports that Node.js cannot resolve in the image:", problems);
}

/** Everything up to the Dockerfile text, without an engine (what `cog debug` prints). */
export async function prepareBuild(request: Omit<BuildRequest, "out">, buildkit = true): Promise<PreparedBuild> {
  const { loadConfigToRun } = await import("../config/index.js");
  const { contextIgnorer } = await import("../docker/context.js");
  const configFile = request.configFile ?? "cog.yaml";
  // Before anything is written under .cog/ (the schema cache, the build kit).
  await (await import("./staging.js")).checkStagingArea(request.dir);
  const config = await loadConfigToRun(request.dir, configFile);
  const ignored = await contextIgnorer(request.dir);
  await refuseUnresolvableImports(request.dir, ignored);
  const schema = await loadSchema({ ...request, out: process.stderr }, config);
  const facts = await readProjectFacts(request.dir, configFile, ignored);
  const caCertificates = await extraCaCertificates();
  const dockerfile = generateDockerfile(config, schema, facts, {
    mirror: baseImageMirror(request.mirror),
    buildkit,
    caCert: caCertificates !== undefined,
    modelBase: request.modelBase,
  });
  // A Python model's requirements as the image installs them (issue 18): written into .cog/build/ by buildModel.
  const pythonRequirements = (await import("../dockerfile/python-files.js")).pythonRequirementsFor(config, request.dir);
  return { config, schema, facts, dockerfile, caCertificates, pythonRequirements };
}

const run = promisify(execFile);

async function git(dir: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run("git", args, { cwd: dir });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Cog's labels (cog-contract.md §2.5) for the built image. */
export async function imageLabels(dir: string, config: Config, schema: object | undefined): Promise<Record<string, string>> {
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

/** `cog-hello` → `cog-hello-base`, `r8.im/me/model:v2` → `r8.im/me/model-base` (a tag after the last `/` is dropped). */
export function modelBaseName(image: string): string {
  return `${image.replace(/:[^/:]*$/, "")}-base`;
}

/** Builds the project's image and returns its tag, id and what went into its labels. */
export async function buildModel(request: BuildRequest): Promise<BuiltImage> {
  const { requireEngine, engineStatus } = await import("../docker/engine.js");
  const { defaultImageName } = await import("../config/index.js");
  const docker = request.docker ?? (await requireEngine());
  const buildkit = request.buildkit ?? (await engineStatus(docker)).buildkit ?? false;
  const { parseSecret } = await import("../docker/session.js");
  const secretSpecs = (request.secrets ?? []).map(parseSecret);
  if (secretSpecs.length > 0 && !buildkit) {
    throw new UserError("--secret needs BuildKit, and this engine builds with the classic builder: use Docker 20.10 or newer.");
  }
  const prepared = await prepareBuild(request, buildkit);
  const given = new Set(secretSpecs.map((spec) => spec.id));
  const missing = prepared.config.build.run.flatMap((step, index) =>
    (step.mounts ?? []).filter((mount) => !given.has(mount.id)).map((mount) => `build.run[${index}] mounts the secret ${mount.id}: pass --secret id=${mount.id},src=FILE`),
  );
  // BuildKit would run the step with nothing at the target and fail on whatever the command does with it.
  if (missing.length > 0) throw new UserError("cog build is missing secrets that cog.yaml uses:", missing);
  const name = request.tag ?? prepared.config.image ?? defaultImageName(request.dir);
  const tag = request.modelBase ? modelBaseName(name) : name;
  // The base carries no schema and no git labels: its code comes from the mount, and an unchanged base keeps its id.
  const labels = request.modelBase
    ? { "run.cog.version": COGTS_VERSION, "run.cog.config": JSON.stringify((await import("../config/index.js")).configForLabel(prepared.config)) }
    : await imageLabels(request.dir, prepared.config, prepared.schema);
  Object.assign(labels, request.extraLabels);
  const { prepareBuildDir } = await import("../docker/context.js");
  const { buildImage } = await import("../docker/build.js");
  const dockerfilePath = await prepareBuildDir(request.dir, {
    dockerfile: prepared.dockerfile,
    schema: prepared.schema,
    caCertificates: prepared.caCertificates,
    typescript: prepared.facts.hasTypeScript,
  });
  const { IMAGE_NPM_DIR, writeImageNpmFiles } = await import("../dockerfile/npm-manifest.js");
  await writeImageNpmFiles(request.dir, path.join(request.dir, BUILD_DIR, IMAGE_NPM_DIR), prepared.facts.lockfile);
  const python = await import("../dockerfile/python.js");
  if (python.isPythonConfig(prepared.config)) {
    await (await import("../dockerfile/python-files.js")).writePythonBuildFiles(request.dir, prepared.pythonRequirements?.text);
  }
  const contextDir = request.modelBase ? await modelBaseContext(request.dir) : request.dir;
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
    if (contextDir !== request.dir) await rm(contextDir, { recursive: true, force: true });
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
