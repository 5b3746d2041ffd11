/**
 * The Docker paths of `cog run`/`predict`, `cog serve` and `cog exec`: build (or take) the image, start a
 * container, talk to it, and remove it again whatever happens.
 */
import type Docker from "dockerode";
import type { CommandContext } from "../cli/command.js";
import { UserError, UsageError } from "../errors.js";
import { SERVER_COMMAND } from "../dockerfile/generate.js";
import { buildModel } from "./index.js";
import { buildRequestFromFlags } from "../cli/commands/docker-options.js";


const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const list = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : []);

/** The image to use: the one named on the command line, else the project built now. */
async function imageFor(ctx: CommandContext, docker: Docker, imageArg: string | undefined): Promise<{ image: string; schema?: Record<string, unknown>; gpu: boolean }> {
  if (imageArg) {
    if (list(ctx.options.secret).length > 0) throw new UsageError(`--secret is for building the project, and ${imageArg} is an image that is already built`);
    const info = await docker.getImage(imageArg).inspect().catch(() => {
      throw new UserError(`No image ${imageArg} in the engine: build it with \`cog build -t ${imageArg}\` first.`);
    });
    const labels = info.Config?.Labels ?? {};
    const schemaText = labels["run.cog.openapi_schema"];
    const config = labels["run.cog.config"] ? (JSON.parse(labels["run.cog.config"]) as { build?: { gpu?: boolean } }) : {};
    return { image: imageArg, schema: schemaText ? (JSON.parse(schemaText) as Record<string, unknown>) : undefined, gpu: config.build?.gpu === true };
  }
  const built = await buildModel(await buildRequestFromFlags(ctx, docker));
  return { image: built.tag, schema: built.schema as Record<string, unknown> | undefined, gpu: built.config.build.gpu };
}

function gpusFor(ctx: CommandContext, gpu: boolean): string | undefined {
  return str(ctx.options.gpus) ?? (gpu ? "all" : undefined);
}

/** `cog run [IMAGE] -i …` through the engine. */
export async function predictInDocker(ctx: CommandContext): Promise<number> {
  const { requireEngine } = await import("../docker/engine.js");
  const { startModelServer, waitForReady, withContainer } = await import("../docker/container.js");
  const { buildInputs, runOnePrediction } = await import("../local/index.js");
  const docker = await requireEngine();
  const { image, schema, gpu } = await imageFor(ctx, docker, ctx.positionals[0]);
  if (!schema) throw new UserError(`The image ${image} has no run.cog.openapi_schema label: rebuild it with cog build.`);
  const input = buildInputs(list(ctx.options.input), schema, { cwd: ctx.cwd, filesAsDataUrls: true });
  const { url, container } = await startModelServer({ docker, image, gpus: gpusFor(ctx, gpu), env: list(ctx.options.env) });
  return withContainer(container, async () => {
    ctx.stderr.write("Starting the model container…\n");
    await waitForReady(url, container, Number(str(ctx.options["setup-timeout"]) ?? 0) * 1000);
    await runOnePrediction(url, input, schema, { cwd: ctx.cwd, outputPath: str(ctx.options.output), stdout: ctx.stdout, stderr: ctx.stderr });
    return 0;
  });
}

function parsePort(value: unknown): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be a port number, not ${String(value)}`);
  return port;
}

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
export async function serveInDocker(ctx: CommandContext): Promise<number> {
  const { requireEngine } = await import("../docker/engine.js");
  const { startModelServer, waitForReady, withContainer, containerLogs } = await import("../docker/container.js");
  const port = parsePort(ctx.options.port);
  const docker = await requireEngine();
  const request = await buildRequestFromFlags(ctx, docker);
  const built = await buildModel({ ...request, modelBase: true });
  const uploadUrl = str(ctx.options["upload-url"]);
  const cmd = uploadUrl ? [...SERVER_COMMAND, "--upload-url", uploadUrl] : undefined;
  const binds = await projectBinds(request.dir, (line) => ctx.stderr.write(`${line}\n`));
  const { endpointOf } = await import("../docker/engine.js");
  const remote = remoteEngineHost(endpointOf(docker).host);
  if (remote) ctx.stderr.write(`The engine runs on ${remote}: cog serve mounts ${request.dir} from that machine, so it must hold the same files there.\n`);
  // The author's -e settings come last, so they win.
  const env = ["COGTS_LOAD_TYPESCRIPT=1", `COGTS_TRANSPILED_DIR=${MOUNTED_TRANSPILED_JS}`, ...list(ctx.options.env)];
  const { url, container } = await startModelServer({ docker, image: built.tag, port, cmd, binds, gpus: gpusFor(ctx, built.config.build.gpu), env });
  return withContainer(container, async () => {
    const stream = (await container.logs({ follow: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
    docker.modem.demuxStream(stream, ctx.stdout, ctx.stderr);
    await waitForReady(url, container).catch(async (err: unknown) => {
      if (err instanceof UserError) throw err;
      throw new UserError(`The model did not start: ${String(err)}`, (await containerLogs(container)).split("\n"));
    });
    ctx.stderr.write(`Serving at ${url} (the project is mounted at ${MOUNTED_PROJECT}: restart cog serve after changing the code)\n`);
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    return StatusCode === 0 ? 0 : 1;
  });
}

/** `cog exec [-p PORT] [-e K=V] CMD…`: a command in the project's image, its exit code ours. */
export async function execInDocker(ctx: CommandContext): Promise<number> {
  const command = [...ctx.positionals, ...ctx.rest];
  if (command.length === 0) throw new UsageError("cog exec needs a command, e.g. `cog exec -- node --version`");
  const { requireEngine } = await import("../docker/engine.js");
  const { createModelContainer, withContainer } = await import("../docker/container.js");
  const docker = await requireEngine();
  const { image, gpu } = await imageFor(ctx, docker, undefined);
  const ports = list(ctx.options.publish).map((value) => {
    const [host, container = host] = value.split(":");
    return { host: parsePort(host), container: parsePort(container) };
  });
  const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
  const { container } = await createModelContainer({
    docker,
    image,
    cmd: command,
    env: list(ctx.options.env),
    ports,
    gpus: gpusFor(ctx, gpu),
    tty,
    openStdin: tty,
  });
  return withContainer(container, async () => {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true, stdin: tty });
    if (tty) {
      process.stdin.setRawMode?.(true);
      process.stdin.pipe(stream);
      stream.pipe(ctx.stdout);
    } else {
      docker.modem.demuxStream(stream, ctx.stdout, ctx.stderr);
    }
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    if (tty) {
      process.stdin.setRawMode?.(false);
      process.stdin.unpipe(stream);
      process.stdin.pause();
    }
    // Let the last output drain before the container (and its stream) goes away.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return StatusCode;
  });
}
