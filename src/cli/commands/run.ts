import { configFileOption, defineCommand, inputOption, noDockerOption, type CommandContext, type OptionValues } from "../command.js";
import { dockerRunOptions, gpusFor, imageToRun, parseSetupTimeout } from "./docker-options.js";
import { UserError } from "../../errors.js";

const runOptions = {
  ...configFileOption,
  ...inputOption,
  output: { type: "string", short: "o", valueName: "PATH", description: "Where to write the output" },
  "setup-timeout": { type: "string", valueName: "SECONDS", description: "Give up when setup takes longer (0: no limit)", default: "300" },
  ...noDockerOption,
  ...dockerRunOptions,
} as const;

type RunContext = CommandContext<OptionValues<typeof runOptions>>;

/** The Docker path: build (or take) the image, start a container of it, predict in it, remove it whatever happens. */
async function predictInDocker(ctx: RunContext): Promise<number> {
  const { requireEngine } = await import("../../docker/index.js");
  const { startModelServer, withContainer } = await import("../../docker/index.js");
  const { buildInputs, runOnePrediction, waitForContainer } = await import("../../predict/index.js");
  const docker = await requireEngine();
  const { image, schema, gpu } = await imageToRun(ctx, docker, ctx.positionals[0]);
  if (!schema) throw new UserError(`The image ${image} has no run.cog.openapi_schema label: rebuild it with cog build.`);
  const input = buildInputs(ctx.options.input ?? [], schema, { cwd: ctx.cwd, filesAsDataUrls: true });
  const setupTimeout = parseSetupTimeout(ctx.options["setup-timeout"]);
  const warn = (line: string) => ctx.stderr.write(`${line}\n`);
  const { url, container } = await startModelServer({ docker, image, gpus: gpusFor(ctx.options.gpus, gpu), env: ctx.options.env ?? [], warn });
  return withContainer(container, async () => {
    ctx.stderr.write("Starting the model container…\n");
    await waitForContainer(url, container, setupTimeout * 1000);
    await runOnePrediction(url, input, schema, { cwd: ctx.cwd, outputPath: ctx.options.output, stdout: ctx.stdout, stderr: ctx.stderr });
    return 0;
  });
}

/** The `--no-docker` path: the project's predictor on this machine, under the same server as in the image. */
async function predictHere(ctx: RunContext): Promise<number> {
  if (ctx.positionals.length > 0) throw new UserError("an image cannot be given with --no-docker: the project in this directory is run");
  const { loadProject } = await import("../../model/index.js");
  const local = await import("../../local/index.js");
  const { buildInputs, runOnePrediction } = await import("../../predict/index.js");
  const project = await local.prepareLocalProject(await loadProject(ctx.cwd, ctx.options.file));
  try {
    const input = buildInputs(ctx.options.input ?? [], project.openapi, { cwd: ctx.cwd });
    const server = await local.startLocalServer(project, { port: 0, allowLocalPaths: true, stdio: "pipe" });
    try {
      ctx.stderr.write("Starting the predictor…\n");
      await local.waitForLocalServer(server, parseSetupTimeout(ctx.options["setup-timeout"]) * 1000);
      await runOnePrediction(server.url, input, project.openapi, {
        cwd: ctx.cwd, outputPath: ctx.options.output, stdout: ctx.stdout, stderr: ctx.stderr,
      });
      return 0;
    } finally {
      await server.stop();
    }
  } finally {
    project.dispose();
  }
}

export const runCommand = defineCommand({
  name: "run",
  aliases: ["predict"],
  summary: "Run a prediction",
  usage: "cog run [image] [-i name=value ...] [flags]",
  description:
    "Runs one prediction. Inputs: -i name=value, -i image=@photo.jpg for a file, JSON for lists (-i sizes='[1,2]'). " +
    "File outputs are written to the working directory (or -o), text goes to stdout. With --no-docker the predictor " +
    "runs on this machine.",
  options: runOptions,
  positionals: { max: 1, name: "image" },

  async run(ctx) {
    return ctx.options["no-docker"] ? predictHere(ctx) : predictInDocker(ctx);
  },
});
