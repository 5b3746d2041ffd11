import type { Command, CommandContext } from "../command.js";
import { configFileOption } from "../command.js";
import { dockerRunOptions, parseHost } from "./docker-options.js";
import { startPlaygroundFor } from "./playground.js";

/** The Docker path (build the image, run the container): the build helper plugs it in here. */
async function serveInDocker(ctx: CommandContext): Promise<number> {
  const docker = await import("../../build/docker-commands.js");
  return docker.serveInDocker(ctx);
}

export const serveCommand: Command = {
  name: "serve",
  summary: "Run a prediction HTTP server",
  usage: "cog serve [flags]",
  description:
    "Builds the model's base image (everything but the code) and serves Cog's prediction API from a container with the " +
    "project mounted at /src: after changing the code, restart cog serve (only cog.yaml or dependency changes rebuild the base). " +
    "With --no-docker, serves it from this machine: no image, no engine.",
  options: {
    ...configFileOption,
    port: { type: "string", short: "p", default: "8393", valueName: "PORT", description: "Port on which to listen" },
    host: { type: "string", default: "127.0.0.1", valueName: "IP", description: "Address to listen on: 127.0.0.1 is this machine only; 0.0.0.0 allows connections from other machines" },
    "upload-url": { type: "string", valueName: "URL", description: "Upload URL for file outputs (e.g. https://example.com/upload/)" },
    "no-docker": { type: "boolean", description: "Run the predictor on this machine instead of in a container" },
    playground: { type: "boolean", description: "Also serve the browser playground for this model (see cog playground)" },
    "playground-port": { type: "string", default: "9000", valueName: "PORT", description: "Port of the playground (with --playground)" },
    ...dockerRunOptions,
  },

  async run(ctx) {
    if (!ctx.options["no-docker"]) {
      // The container publishes the API on 127.0.0.1:PORT; the page waits (and says so) until it answers.
      const page = ctx.options.playground ? await startPlaygroundFor(ctx, { target: `http://127.0.0.1:${String(ctx.options.port)}`, port: ctx.options["playground-port"], portFlag: "--playground-port" }) : undefined;
      return serveInDocker(ctx).finally(() => page?.close());
    }
    const { prepareLocalProject, startLocalServer } = await import("../../local/index.js");
    const port = Number(ctx.options.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      const { UsageError } = await import("../../errors.js");
      throw new UsageError(`--port must be a port number, not ${String(ctx.options.port)}`);
    }
    const host = parseHost(ctx.options.host);
    const project = await prepareLocalProject(ctx.cwd, ctx.options.file as string);
    try {
      const server = await startLocalServer(project, {
        port,
        host,
        uploadUrl: ctx.options["upload-url"] as string | undefined,
        stdio: "inherit",
      });
      ctx.stderr.write(`Serving at ${server.url}\n`);
      const page = ctx.options.playground ? await startPlaygroundFor(ctx, { target: server.url, port: ctx.options["playground-port"], portFlag: "--playground-port", webhookHost: "127.0.0.1" }).catch(async (error: unknown) => {
        await server.stop();
        throw error;
      }) : undefined;
      void server.exited.then(() => page?.close());
      const stop = () => void server.stop();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      const code = await server.exited;
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      return code === 0 || code === 130 ? 0 : code;
    } finally {
      project.dispose();
    }
  },
};
