import type { Command, CommandContext } from "../command.js";
import { configFileOption } from "../command.js";
import { dockerRunOptions, parseSetupTimeout } from "./docker-options.js";
import { UserError } from "../../errors.js";

/** The Docker path (build the image, run a container, predict in it): the build helper plugs it in here. */
async function runInDocker(ctx: CommandContext): Promise<number> {
  const { predictInDocker } = await import("../../build/docker-commands.js");
  return predictInDocker(ctx);
}


export const runCommand: Command = {
  name: "run",
  aliases: ["predict"],
  summary: "Run a prediction",
  usage: "cog run [image] [-i name=value ...] [flags]",
  description:
    "Runs one prediction. Inputs: -i name=value, -i image=@photo.jpg for a file, JSON for lists (-i sizes='[1,2]'). " +
    "File outputs are written to the working directory (or -o), text goes to stdout. With --no-docker the predictor " +
    "runs on this machine.",
  options: {
    ...configFileOption,
    input: { type: "string", short: "i", multiple: true, valueName: "NAME=VALUE", description: "Input, as name=value; @path for a file" },
    output: { type: "string", short: "o", valueName: "PATH", description: "Where to write the output" },
    "setup-timeout": { type: "string", valueName: "SECONDS", description: "Give up when setup takes longer (0: no limit)", default: "300" },
    "no-docker": { type: "boolean", description: "Run the predictor on this machine instead of in a container" },
    ...dockerRunOptions,
  },
  positionals: { max: 1, name: "image" },

  async run(ctx) {
    if (!ctx.options["no-docker"]) return runInDocker(ctx);
    if (ctx.positionals.length > 0) throw new UserError("an image cannot be given with --no-docker: the project in this directory is run");
    const local = await import("../../local/index.js");
    const project = await local.prepareLocalProject(ctx.cwd, ctx.options.file as string);
    try {
      const input = local.buildInputs((ctx.options.input as string[] | undefined) ?? [], project.openapi, { cwd: ctx.cwd });
      const server = await local.startLocalServer(project, { port: 0, allowLocalPaths: true, stdio: "pipe" });
      try {
        ctx.stderr.write("Starting the predictor…\n");
        await local.waitUntilReady(server, parseSetupTimeout(ctx.options["setup-timeout"]) * 1000);
        await local.runOnePrediction(server.url, input, project.openapi, {
          cwd: ctx.cwd, outputPath: ctx.options.output as string | undefined, stdout: ctx.stdout, stderr: ctx.stderr,
        });
        return 0;
      } finally {
        await server.stop();
      }
    } finally {
      project.dispose();
    }
  },
};
