/**
 * Containers of a built model: the prediction server (for `cog run` and `cog serve`) and one-off commands
 * (`cog exec`). Engines without a bridge network get host networking, the server on a free port and bound to the
 * address asked for (127.0.0.1 unless `--host` says otherwise); others get the port published on that address.
 * Every container started here is removed again, also on Ctrl-C, and so is one that failed to start.
 */
import { createServer } from "node:net";
import type Docker from "dockerode";
import { UserError } from "../errors.js";
import { SERVER_COMMAND } from "../dockerfile/index.js";
import { engineHasBridge } from "./build.js";

/** A port nobody listens on right now (the kernel's choice). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `--gpus all` / `--gpus 2` / `--gpus device=0,1` as the engine's device request. */
function gpuRequest(gpus: string): Docker.DeviceRequest {
  if (gpus === "all") return { Driver: "", Count: -1, Capabilities: [["gpu"]] };
  if (/^\d+$/.test(gpus)) return { Driver: "", Count: Number(gpus), Capabilities: [["gpu"]] };
  const devices = /^device=(.+)$/.exec(gpus)?.[1];
  if (devices) return { Driver: "", DeviceIDs: devices.split(","), Capabilities: [["gpu"]] };
  throw new UserError(`--gpus ${gpus}: expected all, a number, or device=ID[,ID]`);
}

interface ContainerSpec {
  docker: Docker;
  image: string;
  cmd?: string[];
  env?: string[];
  /** Container ports to make reachable on the host (on `bindHost`), mapped to these host ports. */
  ports?: { container: number; host: number }[];
  /** The host address published ports listen on (bridge networking); default 127.0.0.1. */
  bindHost?: string;
  gpus?: string;
  /** Host directory → container directory. */
  binds?: string[];
  tty?: boolean;
  openStdin?: boolean;
}

/** Creates (not starts) a container; ports become host networking when the engine has no bridge. */
export async function createModelContainer(
  spec: ContainerSpec,
): Promise<{ container: Docker.Container; hostNetwork: boolean }> {
  const hostNetwork = !(await engineHasBridge(spec.docker));
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of spec.ports ?? []) {
    exposed[`${port.container}/tcp`] = {};
    bindings[`${port.container}/tcp`] = [{ HostIp: spec.bindHost ?? "127.0.0.1", HostPort: String(port.host) }];
  }
  const container = await spec.docker.createContainer({
    Image: spec.image,
    Cmd: spec.cmd,
    Env: spec.env,
    Tty: spec.tty ?? false,
    OpenStdin: spec.openStdin ?? false,
    StdinOnce: spec.openStdin ?? false,
    AttachStdin: spec.openStdin ?? false,
    AttachStdout: true,
    AttachStderr: true,
    ExposedPorts: hostNetwork ? undefined : exposed,
    Labels: { "run.cog.cogts-started": "true" },
    HostConfig: {
      NetworkMode: hostNetwork ? "host" : undefined,
      PortBindings: hostNetwork ? undefined : bindings,
      Binds: spec.binds,
      DeviceRequests: spec.gpus ? [gpuRequest(spec.gpus)] : undefined,
    },
  });
  return { container, hostNetwork };
}

/** Stops and removes, ignoring a container that is already gone. */
export async function removeContainer(container: Docker.Container): Promise<void> {
  await container.remove({ force: true }).catch(() => undefined);
}

/**
 * Runs `fn` with the container, removing the container afterwards whatever happens, including SIGINT/SIGTERM
 * (the signal then ends the process with the usual 130/143 once the container is gone).
 */
export async function withContainer<T>(container: Docker.Container, fn: () => Promise<T>): Promise<T> {
  const onSignal = (signal: NodeJS.Signals) => {
    void removeContainer(container).finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await fn();
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await removeContainer(container);
  }
}

/** The text of a non-TTY log stream, whose frames carry 8-byte headers (stream, 0, 0, 0, size32be). */
export function demultiplexedText(buffer: Buffer): string {
  const chunks: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    chunks.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The container's output so far (stdout and stderr together), for error messages. */
export async function containerLogs(container: Docker.Container, tail = 40): Promise<string> {
  const buffer = (await container
    .logs({ stdout: true, stderr: true, tail, follow: false })
    .catch(() => Buffer.alloc(0))) as Buffer;
  return demultiplexedText(buffer);
}

/** The engine's answer when it has no GPU runtime (no NVIDIA Container Toolkit), as Cog recognises it. */
function isMissingGpuDriver(err: unknown): boolean {
  const text = engineMessage(err);
  return text.includes("could not select device driver") || text.includes("nvidia-container-cli: initialization error");
}

/** What the engine said, without dockerode's "(HTTP code 500) server error - " prefix. */
function engineMessage(err: unknown): string {
  const json = (err as { json?: { message?: unknown } })?.json;
  if (json && typeof json.message === "string") return json.message;
  return ((err as Error)?.message ?? String(err)).replace(/^\(HTTP code \d+\) [^-]*- /, "").trim();
}

export interface StartOptions {
  /** Where the "no GPU runtime, running without" warning goes. */
  warn?: (line: string) => void;
  /** Runs between create and start (attach to the container's streams). */
  beforeStart?: (container: Docker.Container) => Promise<void>;
}

/**
 * Creates and starts a container. When the engine has no GPU runtime and the container asked for all GPUs (what
 * `gpu: true` asks for), it says so and starts a new one without GPUs, as Cog does; a container that failed to
 * start is removed. Other start failures are the engine's message, as a UserError.
 */
export async function createAndStart(
  spec: ContainerSpec,
  options: StartOptions = {},
): Promise<{ container: Docker.Container; hostNetwork: boolean; gpus?: string }> {
  let created: { container: Docker.Container; hostNetwork: boolean } | undefined;
  try {
    created = await createModelContainer(spec);
    await options.beforeStart?.(created.container);
    await created.container.start();
    return { ...created, gpus: spec.gpus };
  } catch (err) {
    if (created) await removeContainer(created.container);
    if (spec.gpus && isMissingGpuDriver(err)) {
      if (spec.gpus === "all") {
        (options.warn ?? ((line) => process.stderr.write(`${line}\n`)))(
          "Warning: the Docker engine has no GPU runtime (could not select a device driver for GPUs): running without a GPU. Install the NVIDIA Container Toolkit to use one.",
        );
        return createAndStart({ ...spec, gpus: undefined }, options);
      }
      throw new UserError(
        `--gpus ${spec.gpus}: the Docker engine has no GPU runtime (${engineMessage(err)}): install the NVIDIA Container Toolkit, or leave out --gpus.`,
      );
    }
    if (err instanceof UserError) throw err;
    if ((err as { statusCode?: unknown })?.statusCode !== undefined)
      throw new UserError(`The container did not start: ${engineMessage(err)}`);
    throw err;
  }
}

/**
 * Starts the model's server container on a free port (or `port`), reachable on `host` (default 127.0.0.1; 0.0.0.0
 * exposes it on purpose): its URL, the container and the port. With host networking the server itself binds to
 * `host`, since there is no port mapping to restrict; with a bridge the mapping is published on `host`.
 */
export async function startModelServer(
  spec: Omit<ContainerSpec, "ports" | "cmd" | "bindHost"> & {
    port?: number;
    serverArgs?: string[];
    cmd?: string[];
    host?: string;
  } & StartOptions,
): Promise<{ url: string; container: Docker.Container; port: number }> {
  const port = spec.port ?? (await freePort());
  const host = spec.host ?? "127.0.0.1";
  const hostNetwork = !(await engineHasBridge(spec.docker));
  // As cog does for the containers it runs: the server's own lines for people, warnings and errors only.
  const env = [
    "LOG_FORMAT=console",
    "COG_LOG_LEVEL=warning",
    ...(spec.env ?? []),
    ...(hostNetwork ? [`PORT=${port}`] : []),
  ];
  const cmd = spec.cmd ?? [...SERVER_COMMAND, ...(hostNetwork ? ["--host", host] : []), ...(spec.serverArgs ?? [])];
  const { container } = await createAndStart(
    { ...spec, env, cmd, bindHost: host, ports: [{ container: 5000, host: port }] },
    spec,
  );
  // 0.0.0.0 and :: are not addresses to connect to; this machine reaches such a server on loopback.
  const reachAt = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const urlHost = reachAt.includes(":") ? `[${reachAt}]` : reachAt;
  return { url: `http://${urlHost}:${port}`, container, port };
}
