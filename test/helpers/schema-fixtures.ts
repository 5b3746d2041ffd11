/** Shared helpers of the schema tests: where the fixtures are and how a fixture's cog.yaml names its predictor. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { SchemaProject } from "../../src/schema/index.js";

export const SCHEMA_FIXTURES = fileURLToPath(new URL("../../fixtures/schema/", import.meta.url));
export const ERROR_FIXTURES = join(SCHEMA_FIXTURES, "errors");
/** Python predictors the server tests run; the schema tests read them too (one copy for both). */
export const PYTHON_PREDICTORS = fileURLToPath(new URL("../../fixtures/predictors-python/", import.meta.url));
/**
 * The predictors of PYTHON_PREDICTORS whose source is Cog's recorded reference (fixtures/schema/cog-reference/NAME.py.txt,
 * checked by src/schema/python-reference.test.ts); each has its golden document beside it (`openapi.json`).
 */
export const RECORDED_PYTHON_PREDICTORS = [
  "echo",
  "files",
  "iterator",
  "logs",
  "numbers",
  "object",
  "setup_fail",
  "sleep",
];

/** Case folders (those holding a cog.yaml) of a fixture directory, sorted. */
export function caseDirectories(root: string): string[] {
  return readdirSync(root)
    .filter((name) => statSync(join(root, name)).isDirectory())
    .filter((name) => {
      try {
        return statSync(join(root, name, "cog.yaml")).isFile();
      } catch {
        return false;
      }
    })
    .sort();
}

export function projectOf(dir: string): SchemaProject {
  const config = parse(readFileSync(join(dir, "cog.yaml"), "utf8")) as {
    run?: string;
    predict?: string;
    train?: string;
  };
  return { dir, predict: config.run ?? config.predict, train: config.train };
}
