import {
  configFileOption,
  defineCommand,
  inputOption,
  noDockerOption,
  type CommandContext,
  type OptionValues,
} from "../command.js";
import { dockerRunOptions, gpusFor, imageToRun, parseSetupTimeout } from "./docker-options.js";
import { UsageError, UserError } from "../../errors.js";

/** The flags `cog run` and `cog train` share, declared once (each adds its own -o; run adds --json). */
export const predictorRunOptions = {
  ...configFileOption,
  ...inputOption,
  "setup-timeout": {
    type: "string",
    valueName: "SECONDS",
    description: "Give up when setup takes longer (0: no limit)",
    default: "300",
  },
  ...noDockerOption,
  ...dockerRunOptions,
} as const;

// -i, --json and -o first in --help, as before; the spread after them adds the shared flags in their order.
const runOptions = {
  ...configFileOption,
  ...inputOption,
  json: {
    type: "string",
    valueName: "JSON",
    description: "Inputs as a JSON object: inline, from a file (@inputs.json) or from stdin (@- or -)",
  },
  output: { type: "string", short: "o", valueName: "PATH", description: "Where to write the output" },
  ...predictorRunOptions,
} as const;

/** The flags of `cog run` and `cog train` as the shared code reads them (train has no --json). */
type PredictFlags = OptionValues<typeof predictorRunOptions> & { json?: string; output?: string };

export type PredictContext = CommandContext<PredictFlags>;

/**
 * The input of a run from `-i` or `--json`, checked against `openapi` (Cog's CLI messages) before anything is
 * built or started. Undefined `openapi` (an image without a schema label): the input unchecked.
 */
async function preparedInput(
  ctx: PredictContext,
  openapi: Record<string, unknown>,
  train: boolean,
  filesAsDataUrls: boolean,
): Promise<Record<string, unknown>> {
  const predict = await import("../../predict/index.js");
  const component = predict.inputComponent(openapi, train);
  const input =
    ctx.options.json !== undefined
      ? await predict.readJsonInput(ctx.options.json, {
          cwd: ctx.cwd,
          filesAsDataUrls,
          checkNames: (names) => predict.checkInputNames(names, openapi, train),
        })
      : predict.buildInputs(ctx.options.input ?? [], openapi, { cwd: ctx.cwd, component, filesAsDataUrls });
  if (predict.canCheckInputs(openapi, train)) predict.checkInputs(input, openapi, train);
  return input;
}

/** The Docker path: check the input, build (or take) the image, start a container of it, predict in it, remove it. */
async function predictInDocker(ctx: PredictContext, train: boolean): Promise<number> {
  const imageArg = ctx.positionals[0];
  if (imageArg?.includes("=")) throw new UsageError(`Invalid image name '${imageArg}'. Did you forget \`-i\`?`);
  let input: Record<string, unknown> | undefined;
  if (!imageArg) {
    // As Cog: inputs are checked against the schema of the source before the image is built.
    const { loadProject } = await import("../../model/index.js");
    const { projectSchema } = await import("../../local/index.js");
    input = await preparedInput(ctx, await projectSchema(await loadProject(ctx.cwd, ctx.options.file)), train, true);
  }
  const { requireEngine } = await import("../../docker/index.js");
  const { startModelServer, withContainer } = await import("../../docker/index.js");
  const { runOnePrediction, waitForContainer } = await import("../../predict/index.js");
  const docker = await requireEngine();
  const { image, schema, gpu } = await imageToRun(ctx, docker, imageArg);
  if (!schema)
    throw new UserError(`The image ${image} has no run.cog.openapi_schema label: rebuild it with cog build.`);
  // A prebuilt image: checked against its schema label before the container starts.
  input ??= await preparedInput(ctx, schema, train, true);
  const setupTimeout = parseSetupTimeout(ctx.options["setup-timeout"]);
  const warn = (line: string) => ctx.stderr.write(`${line}\n`);
  const { url, container } = await startModelServer({
    docker,
    image,
    gpus: gpusFor(ctx.options.gpus, gpu),
    warn,
    // --debug: the server's debug logs, as Cog's CLI asks its containers for them.
    env: [...(process.env.COGTS_DEBUG ? ["COG_LOG_LEVEL=debug"] : []), ...(ctx.options.env ?? [])],
    ...(train ? { serverArgs: ["--x-mode", "train"] } : {}),
  });
  return withContainer(container, async () => {
    ctx.stderr.write("Starting Docker image and running setup()…\n");
    await waitForContainer(url, container, setupTimeout * 1000);
    await runOnePrediction(url, input, schema, {
      cwd: ctx.cwd,
      outputPath: ctx.options.output,
      json: ctx.options.json !== undefined,
      train,
      stdout: ctx.stdout,
      stderr: ctx.stderr,
    });
    return 0;
  });
}

/** The `--no-docker` path: the project's predictor on this machine, under the same server as in the image. */
async function predictHere(ctx: PredictContext, train: boolean): Promise<number> {
  if (ctx.positionals.length > 0)
    throw new UserError("an image cannot be given with --no-docker: the project in this directory is run");
  const { loadProject } = await import("../../model/index.js");
  const local = await import("../../local/index.js");
  const { runOnePrediction } = await import("../../predict/index.js");
  const project = await local.prepareLocalProject(await loadProject(ctx.cwd, ctx.options.file));
  try {
    const input = await preparedInput(ctx, project.openapi, train, false);
    const server = await local.startLocalServer(project, {
      port: 0,
      allowLocalPaths: true,
      stdio: "pipe",
      mode: train ? "train" : "predict",
    });
    try {
      ctx.stderr.write("Starting the predictor…\n");
      await local.waitForLocalServer(server, parseSetupTimeout(ctx.options["setup-timeout"]) * 1000);
      await runOnePrediction(server.url, input, project.openapi, {
        cwd: ctx.cwd,
        outputPath: ctx.options.output,
        json: ctx.options.json !== undefined,
        train,
        stdout: ctx.stdout,
        stderr: ctx.stderr,
      });
      return 0;
    } finally {
      await server.stop();
    }
  } finally {
    project.dispose();
  }
}

/** One prediction (or, for `cog train`, one training), on this machine or in a container. */
export async function runPredictor(ctx: PredictContext, train: boolean): Promise<number> {
  if (ctx.options.json !== undefined && (ctx.options.input ?? []).length > 0) {
    throw new UsageError("Must use one of --json or --input to provide model inputs");
  }
  return ctx.options["no-docker"] ? predictHere(ctx, train) : predictInDocker(ctx, train);
}

export const runCommand = defineCommand({
  name: "run",
  aliases: ["predict"],
  summary: "Run a prediction",
  usage: "cog run [image] [-i name=value ... | --json JSON] [flags]",
  description:
    "Runs one prediction. Inputs: -i name=value, -i image=@photo.jpg for a file, JSON for lists (-i sizes='[1,2]'), " +
    "or all of them at once with --json (inline, @file, or @- for stdin). Inputs are checked against the model's " +
    "schema before anything is built or started. File outputs are written to the working directory as output.<ext> " +
    "(output.0.<ext>, … for a list), or to -o; text goes to stdout. With --json the whole prediction is printed as " +
    "JSON. With --no-docker the predictor runs on this machine. `cog predict` is the deprecated name of this command.",
  options: runOptions,
  positionals: { max: 1, name: "image" },

  async run(ctx) {
    if (ctx.invokedAs === "predict") ctx.stderr.write('⚠ "cog predict" is deprecated, use "cog run"\n');
    return runPredictor(ctx, false);
  },
});
