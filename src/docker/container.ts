/**
 * Containers of a built model: the prediction server (for `cog run` and `cog serve`) and one-off commands
 * (`cog exec`). Engines without a bridge network get host networking, the server on a free port; others get the
 * port published on 127.0.0.1. Every container started here is removed again, also on Ctrl-C.
 */
import { createServer } from "node:net";
import type Docker from "dockerode";
import { UserError } from "../errors.js";
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
export function gpuRequest(gpus: string): Docker.DeviceRequest {
  if (gpus === "all") return { Driver: "", Count: -1, Capabilities: [["gpu"]] };
  if (/^\d+$/.test(gpus)) return { Driver: "", Count: Number(gpus), Capabilities: [["gpu"]] };
  const devices = /^device=(.+)$/.exec(gpus)?.[1];
  if (devices) return { Driver: "", DeviceIDs: devices.split(","), Capabilities: [["gpu"]] };
  throw new UserError(`--gpus ${gpus}: expected all, a number, or device=ID[,ID]`);
}

export interface ContainerSpec {
  docker: Docker;
  image: string;
  cmd?: string[];
  env?: string[];
  /** Container ports to make reachable from 127.0.0.1, mapped to these host ports. */
  ports?: { container: number; host: number }[];
  gpus?: string;
  /** Host directory → container directory. */
  binds?: string[];
  tty?: boolean;
  openStdin?: boolean;
}

/** Creates (not starts) a container; ports become host networking when the engine has no bridge. */
export async function createModelContainer(spec: ContainerSpec): Promise<{ container: Docker.Container; hostNetwork: boolean }> {
  const hostNetwork = !(await engineHasBridge(spec.docker));
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of spec.ports ?? []) {
    exposed[`${port.container}/tcp`] = {};
    bindings[`${port.container}/tcp`] = [{ HostIp: "127.0.0.1", HostPort: String(port.host) }];
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
  const buffer = (await container.logs({ stdout: true, stderr: true, tail, follow: false }).catch(() => Buffer.alloc(0))) as Buffer;
  return demultiplexedText(buffer);
}

/** Polls `GET /health-check` until READY; fails with the container's logs when setup fails or the container exits. */
export async function waitForReady(url: string, container: Docker.Container, timeoutMs = 0): Promise<void> {
  const started = Date.now();
  for (;;) {
    const state = await container.inspect().then((info) => info.State, () => undefined);
    if (!state?.Running) {
      throw new UserError(`The model container exited (code ${state?.ExitCode ?? "unknown"}) before it was ready:`, (await containerLogs(container)).split("\n").filter(Boolean));
    }
    try {
      const response = await fetch(`${url}/health-check`, { signal: AbortSignal.timeout(2000) });
      const health = (await response.json()) as { status?: string; setup?: { logs?: string } };
      if (health.status === "READY") return;
      if (health.status === "SETUP_FAILED" || health.status === "DEFUNCT") {
        throw new UserError(`The model's setup failed (${health.status}):`, (health.setup?.logs ?? "").split("\n").filter(Boolean));
      }
    } catch (err) {
      if (err instanceof UserError) throw err;
      // Not listening yet.
    }
    if (timeoutMs > 0 && Date.now() - started > timeoutMs) throw new UserError(`The model was not ready within ${timeoutMs / 1000} s.`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Starts the model's server container on a free port: its URL and the container. */
export async function startModelServer(spec: Omit<ContainerSpec, "ports" | "cmd"> & { port?: number; serverArgs?: string[]; cmd?: string[] }): Promise<{ url: string; container: Docker.Container; port: number }> {
  const port = spec.port ?? (await freePort());
  const hostNetwork = !(await engineHasBridge(spec.docker));
  // As cog does for the containers it runs: the server's own lines for people, warnings and errors only.
  const env = ["LOG_FORMAT=console", "COG_LOG_LEVEL=warning", ...(spec.env ?? []), ...(hostNetwork ? [`PORT=${port}`] : [])];
  const { container } = await createModelContainer({ ...spec, env, ports: [{ container: 5000, host: port }] });
  await container.start();
  return { url: `http://127.0.0.1:${port}`, container, port };
}
