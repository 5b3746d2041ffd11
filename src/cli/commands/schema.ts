import { readFile, writeFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import type { Command } from "../command.js";
import { configFileOption } from "../command.js";
import { UserError } from "../../errors.js";
import { cachedSchema } from "../../schema/cache.js";
import type { SchemaProject, SourcePosition } from "../../schema/index.js";

export const schemaCommand: Command = {
  name: "schema",
  summary: "Print the OpenAPI schema of the predictor, derived statically",
  usage: "cog schema [flags]",
  description:
    "Reads the predictor named by run:/predict: (and train:) in cog.yaml without running it and prints the OpenAPI " +
    "document Cog would serve. Results are cached in .cog/schema-cache.json by the hash of the sources read.",
  options: {
    ...configFileOption,
    output: { type: "string", short: "o", valueName: "FILE", description: "Write the schema to FILE instead of stdout" },
  },

  async run(ctx) {
    const configPath = resolve(ctx.cwd, String(ctx.options.file ?? "cog.yaml"));
    const dir = dirname(configPath);
    const configFile = basename(configPath);
    const { document } = await cachedSchema(dir, configFile, () => readPredictorRefs(dir, configFile));
    const text = `${JSON.stringify(document, null, 2)}\n`;
    const output = ctx.options.output;
    if (typeof output === "string") {
      await writeFile(resolve(ctx.cwd, output), text);
      ctx.stderr.write(`Wrote the schema to ${output}\n`);
    } else {
      ctx.stdout.write(text);
    }
    return 0;
  },
};

/** The predictor refs of cog.yaml, with where they are written so that a bad ref can be pointed at. */
async function readPredictorRefs(dir: string, configFile: string): Promise<SchemaProject> {
  let text: string;
  try {
    text = await readFile(resolve(dir, configFile), "utf8");
  } catch {
    throw new UserError(`cannot read ${configFile} in ${dir} (run cog init, or pass -f with the path of your cog.yaml)`);
  }
  // TODO(config helper): switch to loadConfig() from src/config/index.ts once it lands; it validates everything else.
  const { parse } = await import("yaml");
  let config: { run?: unknown; predict?: unknown; train?: unknown } | null;
  try {
    config = parse(text) as typeof config;
  } catch (error) {
    throw new UserError(`${configFile}: ${(error as Error).message}`);
  }
  const predict = typeof config?.run === "string" ? config.run : typeof config?.predict === "string" ? config.predict : undefined;
  const train = typeof config?.train === "string" ? config.train : undefined;
  return {
    dir, configFile, predict, train,
    refPositions: { predict: keyPosition(text, config?.run !== undefined ? "run" : "predict"), train: keyPosition(text, "train") },
  };
}

/** Line and column of a top-level key's value, e.g. `run: "predict.ts:Predictor"`. */
function keyPosition(text: string, key: string): SourcePosition | undefined {
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const match = new RegExp(`^${key}:\\s*`).exec(lines[index]!);
    if (match) return { line: index + 1, column: match[0].length + 1 };
  }
  return undefined;
}
