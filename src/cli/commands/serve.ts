import { configFileOption, defineCommand, noDockerOption, type CommandContext, type OptionValues } from "../command.js";
import { UserError } from "../../errors.js";
import { buildRequestFromFlags, dockerRunOptions, gpusFor, parseHost, parsePort } from "./docker-options.js";
import { startPlaygroundFor } from "./playground.js";

const serveOptions = {
  ...configFileOption,
  port: { type: "string", short: "p", default: "8393", valueName: "PORT", description: "Port on which to listen" },
  host: {
    type: "string",
    default: "127.0.0.1",
    valueName: "IP",
    description: "Address to listen on: 127.0.0.1 is this machine only; 0.0.0.0 allows connections from other machines",
  },
  "upload-url": {
    type: "string",
    valueName: "URL",
    description: "Upload URL for file outputs (e.g. https://example.com/upload/)",
  },
  ...noDockerOption,
  playground: { type: "boolean", description: "Also serve the browser playground for this model (see cog playground)" },
  "playground-port": {
    type: "string",
    default: "9000",
    valueName: "PORT",
    description: "Port of the playground (with --playground)",
  },
  ...dockerRunOptions,
} as const;

type ServeContext = CommandContext<OptionValues<typeof serveOptions>>;

/** Where `cog serve` mounts the project, and where the JavaScript the host transpiled it to appears inside. */
const MOUNTED_PROJECT = "/src";
const MOUNTED_TRANSPILED_JS = "/src/.cog/build/js";

/**
 * Read-only binds of each top-level entry of the project onto /src, except node_modules: the model base's own
 * /src/node_modules (installed for Linux, with the `cogts` link) stays visible. One bind of the whole project
 * would hide it, and a volume over it would need a mount point created inside the author's project.
 * Entries whose names Docker's bind syntax cannot carry (a colon) are left out with a warning.
 */
export async function projectBinds(dir: string, warn: (line: string) => void): Promise<string[]> {
  const { readdir } = await import("node:fs/promises");
  const path = await import("node:path");
  const root = path.resolve(dir);
  const binds: string[] = [];
  for (const entry of (await readdir(root)).sort()) {
    if (entry === "node_modules") continue;
    if (entry.includes(":")) {
      warn(`Not mounting ${entry}: Docker cannot bind-mount a path whose name has a colon.`);
      continue;
    }
    binds.push(`${path.join(root, entry)}:${MOUNTED_PROJECT}/${entry}:ro`);
  }
  return binds;
}

/** The host of a DOCKER_HOST on another machine (tcp:// or ssh:// to a non-loopback name), else undefined. */
export function remoteEngineHost(dockerHost: string | undefined): string | undefined {
  const match = /^(?:tcp|ssh|https?):\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/]+)/.exec(dockerHost ?? "");
  if (!match) return undefined;
  const host = match[1]!;
  return ["localhost", "127.0.0.1", "[::1]"].includes(host) ? undefined : host;
}

/**
 * `cog serve -p PORT` through the engine: the model base (everything but the code, cached after the first run)
 * with the project mounted at /src, serving on 127.0.0.1:PORT until Ctrl-C. Editing the code needs a restart of
 * cog serve, never a rebuild: the sources are transpiled on the host at start into `.cog/build/js`, which the
 * runtime's loader uses in place of each `.ts` (any Node version, the project's tsconfig honoured).
 */
async function serveInDocker(ctx: ServeContext): Promise<number> {
  const { requireEngine, endpointOf } = await import("../../docker/index.js");
  const { startModelServer, withContainer, containerLogs } = await import("../../docker/index.js");
  const { buildModel, loadProject } = await import("../../model/index.js");
  const { waitForContainer } = await import("../../predict/index.js");
  const port = parsePort(ctx.options.port);
  const host = parseHost(ctx.options.host);
  const docker = await requireEngine();
  const project = await loadProject(ctx.cwd, ctx.options.file);
  const built = await buildModel({
    ...(await buildRequestFromFlags(ctx.options, project, ctx.stderr, docker)),
    modelBase: true,
  });
  const uploadUrl = ctx.options["upload-url"];
  const serverArgs = uploadUrl ? ["--upload-url", uploadUrl] : [];
  const binds = await projectBinds(project.dir, (line) => ctx.stderr.write(`${line}\n`));
  const remote = remoteEngineHost(endpointOf(docker).host);
  if (remote)
    ctx.stderr.write(
      `The engine runs on ${remote}: cog serve mounts ${project.dir} from that machine, so it must hold the same files there.\n`,
    );
  // The author's -e settings come last, so they win.
  const env = ["COGTS_LOAD_TYPESCRIPT=1", `COGTS_TRANSPILED_DIR=${MOUNTED_TRANSPILED_JS}`, ...(ctx.options.env ?? [])];
  const warn = (line: string) => ctx.stderr.write(`${line}\n`);
  const gpus = gpusFor(ctx.options.gpus, built.config.build.gpu);
  const { url, container } = await startModelServer({
    docker,
    image: built.tag,
    port,
    host,
    serverArgs,
    binds,
    gpus,
    env,
    warn,
  });
  return withContainer(container, async () => {
    const stream = (await container.logs({ follow: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
    docker.modem.demuxStream(stream, ctx.stdout, ctx.stderr);
    await waitForContainer(url, container).catch(async (err: unknown) => {
      if (err instanceof UserError) throw err;
      throw new UserError(`The model did not start: ${String(err)}`, (await containerLogs(container)).split("\n"));
    });
    const where = host === "0.0.0.0" || host === "::" ? ` (listening on every interface, ${host}:${port})` : "";
    ctx.stderr.write(
      `Serving at ${url}${where} (the project is mounted at ${MOUNTED_PROJECT}: restart cog serve after changing the code)\n`,
    );
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    return StatusCode === 0 ? 0 : 1;
  });
}

/** `cog serve --no-docker`: the server on this machine, until it ends or Ctrl-C. */
async function serveHere(ctx: ServeContext): Promise<number> {
  const { loadProject } = await import("../../model/index.js");
  const { prepareLocalProject, startLocalServer } = await import("../../local/index.js");
  const port = parsePort(ctx.options.port, { allowZero: true });
  const host = parseHost(ctx.options.host);
  const project = await prepareLocalProject(await loadProject(ctx.cwd, ctx.options.file));
  try {
    const server = await startLocalServer(project, {
      port,
      host,
      uploadUrl: ctx.options["upload-url"],
      stdio: "inherit",
    });
    ctx.stderr.write(`Serving at ${server.url}\n`);
    const page = ctx.options.playground
      ? await startPlaygroundFor(ctx, {
          target: server.url,
          port: ctx.options["playground-port"],
          portFlag: "--playground-port",
          webhookHost: "127.0.0.1",
        }).catch(async (error: unknown) => {
          await server.stop();
          throw error;
        })
      : undefined;
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
}

export const serveCommand = defineCommand({
  name: "serve",
  summary: "Run a prediction HTTP server",
  usage: "cog serve [flags]",
  description:
    "Builds the model's base image (everything but the code) and serves Cog's prediction API from a container with the " +
    "project mounted at /src: after changing the code, restart cog serve (only cog.yaml or dependency changes rebuild the base). " +
    "With --no-docker, serves it from this machine: no image, no engine.",
  options: serveOptions,

  async run(ctx) {
    if (ctx.options["no-docker"]) return serveHere(ctx);
    // The container publishes the API on 127.0.0.1:PORT; the page waits (and says so) until it answers.
    const page = ctx.options.playground
      ? await startPlaygroundFor(ctx, {
          target: `http://127.0.0.1:${ctx.options.port}`,
          port: ctx.options["playground-port"],
          portFlag: "--playground-port",
        })
      : undefined;
    return serveInDocker(ctx).finally(() => page?.close());
  },
});
