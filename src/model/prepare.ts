/**
 * Everything a build needs before the engine: the staging check, the schema, the project facts, extra CA
 * certificates and the Dockerfile text (what `cog debug` prints).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Config } from "../config/index.js";
import { UserError } from "../errors.js";
import { generateDockerfile } from "../dockerfile/index.js";
import { readProjectFacts, type ProjectFacts } from "../dockerfile/index.js";
import type { Project } from "./project.js";

/** What the Dockerfile depends on besides the project. */
export interface PrepareRequest {
  project: Project;
  /** The --base-image-mirror flag as given (resolved once, by prepareBuild: else COGTS_BASE_IMAGE_MIRROR; empty means none). */
  mirror?: string;
  /** Use this OpenAPI file instead of generating the schema. */
  openapiSchemaFile?: string;
  /** Do not generate or check a schema. */
  skipSchemaValidation?: boolean;
  /**
   * Build the model base instead (`cog serve`): the image without code, weights and schema, tagged `<name>-base`.
   * The project's TypeScript is still transpiled into `.cog/build/js/` and the schema written to `.cog/`, where
   * the container finds them through the mounted project.
   */
  modelBase?: boolean;
}

export interface PreparedBuild {
  config: Config;
  schema?: object;
  facts: ProjectFacts;
  dockerfile: string;
  caCertificates?: string;
  /** A Python model's resolved requirements (`.cog/build/requirements.txt`) and what was changed in them. */
  pythonRequirements?: import("../config/index.js").ResolvedRequirements;
}

/** The mirror setting: the flag wins over COGTS_BASE_IMAGE_MIRROR; empty means none. */
export function baseImageMirror(flag: string | undefined): string | undefined {
  return (flag ?? process.env.COGTS_BASE_IMAGE_MIRROR) || undefined;
}

async function loadSchema(request: PrepareRequest): Promise<object | undefined> {
  const { dir, configFile, config } = request.project;
  if (request.openapiSchemaFile) {
    const file = path.resolve(dir, request.openapiSchemaFile);
    try {
      return JSON.parse(await readFile(file, "utf8")) as object;
    } catch (err) {
      throw new UserError(`--openapi-schema ${request.openapiSchemaFile}: ${(err as Error).message}`);
    }
  }
  if (request.skipSchemaValidation) return undefined;
  if (!config.predict && !config.train) return undefined;
  const { generateSchema } = await import("../schema/index.js");
  return generateSchema({ dir, predict: config.predict, train: config.train, configFile });
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
    throw new UserError(
      `COGTS_CA_CERT=${value}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)}); give a PEM file or PEM text.`,
    );
  }
}

/** Throws the relative imports the image could not resolve (see import-check.ts), each at its file:line:col. */
export async function refuseUnresolvableImports(
  dir: string,
  ignored?: (relativePath: string, isDir: boolean) => boolean,
): Promise<void> {
  const { checkRelativeImports } = await import("../schema/index.js");
  const problems = await checkRelativeImports(dir, ignored);
  if (problems.length > 0) throw new UserError("Imports that Node.js cannot resolve in the image:", problems);
}

/** Everything up to the Dockerfile text, without an engine (what `cog debug` prints). */
export async function prepareBuild(request: PrepareRequest, buildkit = true): Promise<PreparedBuild> {
  const { contextIgnorer } = await import("../build-context/index.js");
  const { dir, configFile, config } = request.project;
  // Before anything is written under .cog/ (the schema cache, the build kit).
  await (await import("./stage.js")).checkStagingArea(dir);
  const ignored = await contextIgnorer(dir);
  await refuseUnresolvableImports(dir, ignored);
  const schema = await loadSchema(request);
  const facts = await readProjectFacts(dir, configFile, ignored);
  const caCertificates = await extraCaCertificates();
  const dockerfile = generateDockerfile(config, schema, facts, {
    mirror: baseImageMirror(request.mirror),
    buildkit,
    caCert: caCertificates !== undefined,
    modelBase: request.modelBase,
  });
  // A Python model's requirements as the image installs them: written into .cog/build/ by buildModel.
  const pythonRequirements = (await import("../dockerfile/index.js")).pythonRequirementsFor(config, dir);
  return { config, schema, facts, dockerfile, caCertificates, pythonRequirements };
}
