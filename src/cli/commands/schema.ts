import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { configFileOption, defineCommand } from "../command.js";
import { UserError } from "../../errors.js";
import { cachedSchema } from "../../schema/index.js";
import type { SchemaProject, SourcePosition } from "../../schema/index.js";

export const schemaCommand = defineCommand({
  name: "schema",
  summary: "Print the OpenAPI schema of the predictor, derived statically",
  usage: "cog schema [flags]",
  description:
    "Reads the predictor named by run:/predict: (and train:) in cog.yaml without running it and prints the OpenAPI " +
    "document Cog would serve. Results are cached in .cog/schema-cache.json by the hash of the sources read.",
  options: {
    ...configFileOption,
    output: {
      type: "string",
      short: "o",
      valueName: "FILE",
      description: "Write the schema to FILE instead of stdout",
    },
  },

  async run(ctx) {
    const configFile = ctx.options.file;
    const dir = projectDir(ctx.cwd, configFile);
    const { document } = await cachedSchema(dir, configFile, () => readPredictorRefs(dir, configFile));
    const text = `${JSON.stringify(document, null, 2)}\n`;
    const { output } = ctx.options;
    if (output !== undefined) {
      await writeFile(resolve(ctx.cwd, output), text);
      ctx.stderr.write(`Wrote the schema to ${output}\n`);
    } else {
      ctx.stdout.write(text);
    }
    return 0;
  },
});

/** The project directory: where the config file is, in this directory or a parent, as Cog looks for cog.yaml. */
function projectDir(start: string, file: string): string {
  if (isAbsolute(file)) return dirname(file);
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, file))) return dir;
    if (dirname(dir) === dir) return resolve(start);
  }
}

/** The predictor refs of the validated config, with where they are written so that a bad ref can be pointed at. */
async function readPredictorRefs(dir: string, configFile: string): Promise<SchemaProject> {
  // Loaded only on a cache miss: the config loader brings yaml and ajv, which a cached run does without.
  const { inspectConfig } = await import("../../config/index.js");
  const inspection = await inspectConfig(dir, configFile);
  if (inspection.unreadable) throw new UserError(inspection.unreadable);
  if (!inspection.config) {
    const count = inspection.problems.length;
    throw new UserError(`${configFile} is not valid (${count} problem${count === 1 ? "" : "s"}):`, inspection.problems);
  }
  const { predict, train } = inspection.config;
  const position = (key: string): SourcePosition | undefined => {
    const match = /:(\d+):(\d+)$/.exec(inspection.locate([key]));
    return match ? { line: Number(match[1]), column: Number(match[2]) } : undefined;
  };
  return {
    dir,
    configFile,
    predict,
    train,
    refPositions: { predict: position(inspection.predictorKey ?? "run"), train: position("train") },
  };
}
