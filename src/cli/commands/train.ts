import { configFileOption, defineCommand, inputOption } from "../command.js";
import { predictorRunOptions, runPredictor } from "./run.js";

/**
 * `cog train`: Cog's hidden, deprecated command. One training of the project's `train:` predictor (POST
 * /trainings on a server started in train mode), inputs from `-i` checked against `TrainingInput` first, outputs
 * written as `cog run` writes them, under `-o` (default `weights`).
 */
export const trainCommand = defineCommand({
  name: "train",
  summary: "Run a training (deprecated)",
  usage: "cog train [image] [-i name=value ...] [flags]",
  description:
    "Runs one training of the train: predictor in cog.yaml (or of an image built by cog build). Inputs: -i name=value, " +
    "checked against the training schema before anything is built or started. A file output is written as weights.<ext> " +
    "(or -o); an object's files are named after their fields. With --no-docker the trainer runs on this machine. " +
    "Deprecated in Cog: the train command will be removed in a future version of Cog.",
  options: {
    ...configFileOption,
    ...inputOption,
    output: { type: "string", short: "o", default: "weights", valueName: "PATH", description: "Output path" },
    ...predictorRunOptions,
  },
  positionals: { max: 1, name: "image" },
  hidden: true,

  async run(ctx) {
    // Cog's wording (cobra's deprecation notice), printed before anything else, even when the command then fails.
    ctx.stderr.write('Command "train" is deprecated, the train command will be removed in a future version of Cog\n');
    return runPredictor(ctx, true);
  },
});
