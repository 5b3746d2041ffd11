import { configFileOption, defineCommand } from "../command.js";
import { UsageError } from "../../errors.js";
import {
  baseImageMirrorOption,
  buildSecretOption,
  containerOptions,
  gpusFor,
  imageToRun,
  parsePort,
  progressOption,
} from "./docker-options.js";

export const execCommand = defineCommand({
  name: "exec",
  summary: "Execute a command inside a Docker environment",
  usage: "cog exec [flags] <command> [arg...]",
  description: "Builds the project's image and runs the command in a container of it, with this terminal attached.",
  options: {
    ...configFileOption,
    publish: {
      type: "string",
      short: "p",
      multiple: true,
      valueName: "PORT[:PORT]",
      description: "Publish a container's port to the host (HOST:CONTAINER)",
    },
    ...containerOptions,
    ...progressOption,
    ...baseImageMirrorOption,
    ...buildSecretOption,
  },
  positionals: { name: "command" },
  commandAfterFlags: true,

  /** A command in a container of the project's image, this terminal attached, its exit code ours. */
  async run(ctx) {
    const command = [...ctx.positionals, ...ctx.rest];
    if (command.length === 0) throw new UsageError("cog exec needs a command, e.g. `cog exec -- node --version`");
    const { requireEngine } = await import("../../docker/index.js");
    const { createAndStart, withContainer } = await import("../../docker/index.js");
    const docker = await requireEngine();
    const { image, gpu } = await imageToRun(ctx, docker, undefined);
    const ports = (ctx.options.publish ?? []).map((value) => {
      const [host, container = host] = value.split(":");
      return { host: parsePort(host), container: parsePort(container) };
    });
    const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
    let stream: NodeJS.ReadWriteStream | undefined;
    const { container } = await createAndStart(
      {
        docker,
        image,
        cmd: command,
        env: ctx.options.env ?? [],
        ports,
        gpus: gpusFor(ctx.options.gpus, gpu),
        tty,
        openStdin: tty,
      },
      {
        warn: (line) => ctx.stderr.write(`${line}\n`),
        // Attached before start, so that no early output is lost; a retry without GPU attaches to its own container.
        beforeStart: async (created) => {
          stream = await created.attach({ stream: true, stdout: true, stderr: true, stdin: tty });
        },
      },
    );
    return withContainer(container, async () => {
      if (tty) {
        process.stdin.setRawMode?.(true);
        process.stdin.pipe(stream!);
        stream!.pipe(ctx.stdout);
      } else {
        docker.modem.demuxStream(stream!, ctx.stdout, ctx.stderr);
      }
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      if (tty) {
        process.stdin.setRawMode?.(false);
        process.stdin.unpipe(stream!);
        process.stdin.pause();
      }
      // Let the last output drain before the container (and its stream) goes away.
      await new Promise((resolve) => setTimeout(resolve, 50));
      return StatusCode;
    });
  },
});
