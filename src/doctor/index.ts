/**
 * `cog doctor`: everything that would stop `cog build` or `cog run`, found in one pass and reported together:
 * cog.yaml (every problem), the predictor and trainer classes, their schema, the project's types, and the Docker
 * engine.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { findProjectDir, inspectConfig, type ConfigInspection } from "../config/index.js";
import type { Config } from "../config/index.js";
import { typecheckProject } from "./typecheck.js";

export interface Finding {
  /** `ok`: checked and fine; `problem`: must be fixed (exit 1); `note`: worth knowing, not wrong. */
  status: "ok" | "problem" | "note";
  /** One line. Problems start with `FILE:LINE:COL:` when they have a place in a file. */
  message: string;
}

export interface DoctorOptions {
  /** Where the user is; the project is this directory or the nearest parent holding the config file. */
  dir: string;
  /** The config file as the user named it (-f). */
  file?: string;
  /** Skip the engine check (for `cog run --no-docker` users, who need no engine). */
  checkEngine?: boolean;
}

export async function runDoctor({
  dir: start,
  file = "cog.yaml",
  checkEngine = true,
}: DoctorOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  // Like every command, doctor works from a subdirectory of the project.
  const dir = findProjectDir(start, file) ?? start;
  const inspection = await inspectConfig(dir, file);
  findings.push(...configFindings(inspection));
  if (inspection.config) {
    // The type check starts first: in its worker thread it runs beside the schema check.
    const [types, predictor] = await Promise.all([
      typeFindings(dir, inspection.config),
      predictorFindings(dir, inspection.config, inspection),
    ]);
    findings.push(...predictor, ...types);
  }
  // Imports the image could not resolve (one rule with cog build and --no-docker: src/schema/import-check.ts).
  const { checkRelativeImports } = await import("../schema/index.js");
  findings.push(...(await checkRelativeImports(dir)).map((message) => ({ status: "problem" as const, message })));
  findings.push(
    ...(checkEngine
      ? await engineFindings()
      : [{ status: "note" as const, message: "Docker engine not checked (--no-docker)." }]),
  );
  return findings;
}

function configFindings(inspection: ConfigInspection): Finding[] {
  if (inspection.unreadable) return [{ status: "problem", message: inspection.unreadable }];
  if (!inspection.config) return inspection.problems.map((message) => ({ status: "problem", message }));
  const { build } = inspection.config;
  const image = build.gpu ? `GPU image, CUDA ${build.cuda}, cuDNN ${build.cudnn}` : "CPU image";
  const runtime =
    build.python_version !== undefined ? `Python ${build.python_version}` : `Node.js ${build.node_version}`;
  return [{ status: "ok", message: `${inspection.file} is valid (${image}, ${runtime}).` }];
}

/**
 * The light check: the file named by `run:`/`predict:` (and `train:`) declares the class. This is the place for
 * the full check (`generateSchema` from src/schema, which reports unsupported input types with file:line).
 */
async function predictorFindings(dir: string, config: Config, inspection: ConfigInspection): Promise<Finding[]> {
  const findings: Finding[] = [];
  const refs: { key: string; what: string; ref?: string }[] = [
    { key: inspection.predictorKey ?? "run", what: "predictor", ref: config.predict },
    { key: "train", what: "trainer", ref: config.train },
  ];
  if (config.predict && inspection.predictorKey === "predict") {
    findings.push({
      status: "note",
      message: `${inspection.locate(["predict"])}: predict is the deprecated name of run (Cog 0.20+); rename the key to run.`,
    });
  }
  if (!config.predict) {
    findings.push({
      status: "note",
      message: `${inspection.file} names no predictor: add \`run: "predict.ts:Predictor"\` to make predictions (cog init writes an example).`,
    });
  }
  for (const { key, what, ref } of refs) {
    if (!ref) continue;
    // A Python predictor is checked by its schema reader below, which finds classes, functions and inherited methods.
    if (/\.py:/.test(ref)) continue;
    const [file, className] = ref.split(":") as [string, string];
    const text = await readFile(join(dir, file), "utf8");
    const escaped = className.replace(/\$/g, "\\$");
    // A bare function is a predictor too (Cog allows one); the schema reader below checks it further.
    if (
      new RegExp(`export\\s+(async\\s+)?function\\*?\\s*${escaped}\\b|export\\s+(const|let)\\s+${escaped}\\b`).test(
        text,
      )
    ) {
      findings.push({ status: "ok", message: `${file} exports the ${what} function ${className}.` });
      continue;
    }
    const declared = new RegExp(`\\bclass\\s+${escaped}\\b`).test(text);
    if (!declared) {
      findings.push({
        status: "problem",
        message: `${inspection.locate([key])}: ${file} declares no class ${className}: add \`export class ${className} extends BasePredictor { … }\` to ${file}, or change ${key} to name the class it exports.`,
      });
      continue;
    }
    const exported = new RegExp(
      `export\\s+(abstract\\s+)?class\\s+${className.replace(/\$/g, "\\$")}\\b|export\\s*\\{[^}]*\\b${className.replace(/\$/g, "\\$")}\\b`,
    ).test(text);
    if (!exported) {
      findings.push({
        status: "problem",
        message: `${inspection.locate([key])}: ${file} declares class ${className} but does not export it: write \`export class ${className}\`.`,
      });
      continue;
    }
    findings.push({ status: "ok", message: `${file} declares the ${what} class ${className}.` });
  }
  if (!findings.some((finding) => finding.status === "problem"))
    findings.push(...(await schemaFindings(dir, config, inspection)));
  return findings;
}

/** The full check: whatever `cog schema`/`cog build` would reject in the predictor, each with FILE:LINE:COL. */
async function schemaFindings(dir: string, config: Config, inspection: ConfigInspection): Promise<Finding[]> {
  if (!config.predict && !config.train) return [];
  const { cachedSchema } = await import("../schema/index.js");
  const { UserError } = await import("../errors.js");
  try {
    // The cache that cog run and cog schema use: an unchanged predictor is not parsed again.
    await cachedSchema(dir, inspection.file, async () => ({
      dir,
      predict: config.predict,
      train: config.train,
      configFile: inspection.file,
    }));
    return [{ status: "ok", message: "The OpenAPI schema of the predictor generates (see cog schema)." }];
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const problems = error.problems.length > 0 ? error.problems : [error.message];
    return problems.map((message) => ({ status: "problem" as const, message }));
  }
}

/** The predictor and trainer files, which are type-checked even when tsconfig.json leaves them out. */
export function entryFiles(config: Config): string[] {
  return [config.predict, config.train].flatMap((ref) => (ref ? [ref.split(":")[0]!] : []));
}

/** Syntax and type errors in the project's own TypeScript, as `tsc --noEmit` reports them. */
async function typeFindings(dir: string, config: Config): Promise<Finding[]> {
  const result = await typecheckProject({ dir, entries: entryFiles(config) }, { background: true });
  if (result.files === 0) return [];
  const findings: Finding[] = result.notes.map((message) => ({ status: "note" as const, message }));
  if (result.problems.length > 0)
    return [...result.problems.map((message) => ({ status: "problem" as const, message })), ...findings];
  const settings = result.tsconfig ? `with ${result.tsconfig}` : "with cogts's defaults: no tsconfig.json";
  return [
    {
      status: "ok",
      message: `The TypeScript type-checks (${result.files} file${result.files === 1 ? "" : "s"}, ${settings}).`,
    },
    ...findings,
  ];
}

/**
 * What `cog build` runs before it talks to the engine: throws a UserError listing every syntax and type error of
 * the project's TypeScript; returns the notes (dependencies not installed here, so not checked).
 */
export async function requireTypecheck(dir: string, configFile = "cog.yaml"): Promise<string[]> {
  const { loadConfig } = await import("../config/index.js");
  const { UserError } = await import("../errors.js");
  const result = await typecheckProject({ dir, entries: entryFiles(await loadConfig(dir, configFile)) });
  if (result.problems.length > 0) {
    const count = `${result.problems.length} error${result.problems.length === 1 ? "" : "s"}`;
    const fix = result.problems.length === 1 ? "fix it" : "fix them";
    throw new UserError(
      `The project's TypeScript has ${count} (${fix}, or build anyway with --skip-typecheck):`,
      result.problems,
    );
  }
  return result.notes;
}

async function engineFindings(): Promise<Finding[]> {
  // dockerode is heavy: loaded only when the engine is checked.
  const { engineStatus } = await import("../docker/index.js");
  const status = await engineStatus();
  if (!status.reachable) {
    return [
      {
        status: "problem",
        message: `${status.problem} (Or run cog doctor --no-docker if you only use cog run --no-docker.)`,
      },
    ];
  }
  const engine = `Docker engine ${status.version} (API ${status.apiVersion}) at ${status.host} (${status.source})`;
  if (!status.buildkit) {
    return [
      {
        status: "problem",
        message: `${engine} has no BuildKit (needs API 1.39, Docker 18.09+): upgrade to Docker 20.10 or newer.`,
      },
    ];
  }
  return [{ status: "ok", message: `${engine}, BuildKit available.` }];
}
