import type { Command } from "../command.js";
import { configFileOption } from "../command.js";
import { buildSecretOption } from "./docker-options.js";

export const execCommand: Command = {
  name: "exec",
  summary: "Execute a command inside a Docker environment",
  usage: "cog exec [flags] <command> [arg...]",
  description: "Builds the project's image and runs the command in a container of it, with this terminal attached.",
  options: {
    ...configFileOption,
    publish: { type: "string", short: "p", multiple: true, valueName: "PORT[:PORT]", description: "Publish a container's port to the host (HOST:CONTAINER)" },
    env: { type: "string", short: "e", multiple: true, valueName: "NAME=VALUE", description: "Environment variables, in the form name=value" },
    gpus: { type: "string", valueName: "GPUS", description: "GPU devices to add to the container, in the same format as `docker run --gpus`" },
    progress: { type: "string", default: "auto", valueName: "MODE", description: "Build progress: auto, plain, tty or quiet" },
    "base-image-mirror": { type: "string", valueName: "HOST", description: "Registry with copies of the Docker Hub base images" },
    ...buildSecretOption,
  },
  positionals: { name: "command" },
  commandAfterFlags: true,
  async run(ctx) {
    const { execInDocker } = await import("../../build/docker-commands.js");
    return execInDocker(ctx);
  },
};
