import { defineCommand, type CommandContext } from "../command.js";
import { UsageError } from "../../errors.js";

function portOption(value: unknown, flag: string): number {
  const port = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${flag} must be a port number (0 picks a free one), not ${String(value)}`);
  }
  return port;
}

interface PlaygroundFlags {
  target: string;
  port: unknown;
  /** The flag that gave the port, for its error message. */
  portFlag: string;
  host?: string;
  webhookHost?: string;
}

/** Starts the page in front of `target` and prints its URL on a line of its own once it answers. */
export async function startPlaygroundFor(
  ctx: Pick<CommandContext, "stdout" | "stderr">,
  { target, port, portFlag, host, webhookHost }: PlaygroundFlags,
) {
  const { startPlayground } = await import("../../playground/index.js");
  const playground = await startPlayground({ target, port: portOption(port, portFlag), host, webhookHost });
  ctx.stderr.write(`Playground for ${target} (Ctrl+C to stop):\n`);
  ctx.stdout.write(`${playground.url}\n`);
  return playground;
}

export const playgroundCommand = defineCommand({
  name: "playground",
  summary: "Open a browser playground for a running model",
  usage: "cog playground [--target URL] [--host HOST] [-p PORT] [--webhook-host HOST] [--no-open]",
  description:
    "Serves a page generated from the model's schema (a form for its inputs, its outputs rendered as text, images, audio, " +
    "streams) for any running Cog-compatible server: `cog serve`, a container of a cogts or Cog image. Requests go through " +
    "this server, so the model server needs no CORS headers. The page answers only on this machine.",
  options: {
    target: {
      type: "string",
      default: "http://127.0.0.1:8393",
      valueName: "URL",
      description: "URL of the model server's API",
    },
    host: { type: "string", default: "127.0.0.1", valueName: "HOST", description: "Address to listen on" },
    port: {
      type: "string",
      short: "p",
      default: "0",
      valueName: "PORT",
      description: "Port to listen on (0 picks a free port)",
    },
    "webhook-host": {
      type: "string",
      valueName: "HOST",
      description:
        "Host name the model server reaches this one by (127.0.0.1 for a server on this machine): shows the logs of predictions that do not stream as they come",
    },
    "no-open": { type: "boolean", description: "Do not open a browser (never opened without a display or in CI)" },
  },

  async run(ctx) {
    const playground = await startPlaygroundFor(ctx, {
      target: ctx.options.target,
      port: ctx.options.port,
      portFlag: "--port",
      host: ctx.options.host,
      webhookHost: ctx.options["webhook-host"],
    });
    if (!ctx.options["no-open"]) {
      const { openBrowser } = await import("../../playground/index.js");
      openBrowser(playground.url);
    }
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        resolve();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    await playground.close();
    return 0;
  },
});
