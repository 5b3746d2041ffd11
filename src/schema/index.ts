/**
 * Static OpenAPI schema of a TypeScript or Python predictor, as Cog 0.22 derives it for a Python one (docs/spec/cog-contract.md §5).
 *
 *   const document = await generateSchema({ dir: "/path/to/project", predict: "predict.ts:Predictor" });
 *
 * Nothing of the model is run: a TypeScript predictor is parsed with ts-morph, a Python one (`.py`) with
 * tree-sitter (src/schema/python/). Each parser is imported only when a schema is
 * actually generated, so callers that hit the cache (`cachedSchema`) never pay for loading TypeScript.
 */
export type { OpenApiDocument } from "./openapi.js";
export { cachedSchema } from "./cache.js";
export { checkRelativeImports } from "./import-check.js";
import type { OpenApiDocument } from "./openapi.js";

export interface SchemaProject {
  /** The project directory (where cog.yaml is); refs are relative to it. */
  dir: string;
  /** `FILE:Class` of the predictor (cog.yaml `run:` or `predict:`). */
  predict?: string;
  /** `FILE:Class` of the trainer (cog.yaml `train:`). */
  train?: string;
  /** Name of the config file, used in messages about the refs themselves. Default `cog.yaml`. */
  configFile?: string;
  /** Where in the config file each ref is written (1-based), so problems with a ref point at it. */
  refPositions?: { predict?: SourcePosition; train?: SourcePosition };
}

export interface SourcePosition {
  line: number;
  column: number;
}

/** Throws `UserError` whose `problems` are `FILE:LINE:COL: message (what to write instead)` lines. */
export async function generateSchema(project: SchemaProject): Promise<OpenApiDocument> {
  return (await generateSchemaWithSources(project)).document;
}

/** As `generateSchema`, also returning the source files read (absolute paths), for caching. */
export async function generateSchemaWithSources(
  project: SchemaProject,
): Promise<{ document: OpenApiDocument; filesRead: string[] }> {
  if (isPythonProject(project)) {
    const { generateFromPython } = await import("./python/generate.js");
    return generateFromPython(project);
  }
  const { generateWithTsMorph } = await import("./generate.js");
  return generateWithTsMorph(project);
}

/** A predictor (or trainer) ref naming a `.py` file: read with the Python grammar instead of ts-morph. */
export function isPythonProject(project: Pick<SchemaProject, "predict" | "train">): boolean {
  const ref = project.predict ?? project.train ?? "";
  return /\.py:[^:]*$/.test(ref);
}
