/**
 * Connections to the Docker engine: dockerode clients and raw sockets (the BuildKit session), both made from
 * the one endpoint `resolveEngineEndpoint` finds (DOCKER_HOST, the current Docker context, the default socket).
 */
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import Docker from "dockerode";
import { UserError } from "../errors.js";
import { resolveEngineEndpoint, type EngineEndpoint } from "./endpoint.js";

export { resolveEngineEndpoint, type EngineEndpoint } from "./endpoint.js";

/** The endpoint each client was made for, so that raw connections go to the same engine. */
const endpoints = new WeakMap<Docker, EngineEndpoint>();

/** The variables docker-modem's constructor reads (and may throw on) before the options given override them. */
const MODEM_ENV = [
  "DOCKER_HOST",
  "DOCKER_CERT_PATH",
  "DOCKER_TLS_VERIFY",
  "DOCKER_PATH_PREFIX",
  "DOCKER_CLIENT_TIMEOUT",
] as const;

function modemOptions(endpoint: EngineEndpoint): Docker.DockerOptions {
  if (endpoint.kind === "unix") return { socketPath: endpoint.socketPath, host: undefined };
  if (endpoint.kind === "ssh") {
    return {
      protocol: "ssh",
      host: endpoint.hostname,
      port: endpoint.port,
      username: endpoint.username,
      sshOptions: { agent: process.env.SSH_AUTH_SOCK },
      socketPath: undefined,
    } as Docker.DockerOptions;
  }
  const secure = endpoint.tls;
  return {
    protocol: secure ? "https" : "http",
    host: endpoint.hostname,
    port: endpoint.port,
    socketPath: undefined,
    ...(secure
      ? {
          ca: secure.ca,
          cert: secure.cert,
          key: secure.key,
          // The agent carries what the request options cannot: skipping verification (DOCKER_TLS, SkipTLSVerify).
          agent: new https.Agent({
            ca: secure.ca,
            cert: secure.cert,
            key: secure.key,
            rejectUnauthorized: secure.verify,
          }),
        }
      : {}),
  } as Docker.DockerOptions;
}

/** A dockerode client for the engine this environment selects (or `endpoint`); this is the one place that makes one. */
export function connectEngine(endpoint: EngineEndpoint = resolveEngineEndpoint()): Docker {
  const saved = MODEM_ENV.map((name) => [name, process.env[name]] as const);
  // docker-modem would otherwise guess from the environment itself (a function for the default socket, cert files
  // read and thrown on); the resolved endpoint says everything, so it sees none of that.
  for (const [name] of saved) delete process.env[name];
  let docker: Docker;
  try {
    docker = new Docker({ pathPrefix: "/", ...modemOptions(endpoint) } as Docker.DockerOptions);
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
  endpoints.set(docker, endpoint);
  return docker;
}

/** The endpoint `docker` talks to (a client made elsewhere is taken to use this environment's engine). */
export function endpointOf(docker: Docker): EngineEndpoint {
  return endpoints.get(docker) ?? resolveEngineEndpoint();
}

/** A plain stream connection to the engine's API (TLS when the endpoint is), for protocols dockerode lacks. */
export async function dialEngine(endpoint: EngineEndpoint): Promise<net.Socket> {
  let socket: net.Socket;
  let ready: string;
  if (endpoint.kind === "unix") {
    socket = net.connect(endpoint.socketPath!);
    ready = "connect";
  } else if (endpoint.kind === "tcp" && !endpoint.tls) {
    socket = net.connect(endpoint.port!, endpoint.hostname);
    ready = "connect";
  } else if (endpoint.kind === "tcp") {
    const secure = endpoint.tls!;
    socket = tls.connect({
      host: endpoint.hostname,
      port: endpoint.port,
      servername: net.isIP(endpoint.hostname!) ? undefined : endpoint.hostname,
      ca: secure.ca,
      cert: secure.cert,
      key: secure.key,
      rejectUnauthorized: secure.verify,
    });
    ready = "secureConnect";
  } else {
    throw new UserError(
      `Build secrets need a unix://, tcp:// or TLS engine address; ${endpoint.host} (${describeSource(endpoint)}) is ssh://, which cogts cannot open a BuildKit session over yet.`,
    );
  }
  await new Promise<void>((resolve, reject) => {
    socket.once("error", (err) => reject(new UserError(explainEngineError(err, endpoint))));
    socket.once(ready, () => resolve());
  });
  return socket;
}

export interface EngineStatus {
  reachable: boolean;
  /** Where we looked, for messages. */
  host: string;
  /** Where that address came from: `DOCKER_HOST`, `Docker context "NAME"`, `the default socket`. */
  source: string;
  version?: string;
  apiVersion?: string;
  /** BuildKit is built into Docker 18.09+ (API 1.39+) and reachable through the engine API. */
  buildkit?: boolean;
  /** One sentence with the fix, when not reachable. */
  problem?: string;
}

function apiAtLeast(version: string, min: string): boolean {
  const [a = 0, b = 0] = version.split(".").map(Number);
  const [c = 0, d = 0] = min.split(".").map(Number);
  return a > c || (a === c && b >= d);
}

/** Asks the engine who it is, without throwing: `cog doctor` reports, other commands call `requireEngine`. */
export async function engineStatus(docker?: Docker, timeoutMs = 5000): Promise<EngineStatus> {
  let endpoint: EngineEndpoint;
  try {
    endpoint = docker ? endpointOf(docker) : resolveEngineEndpoint();
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return { reachable: false, host: "(none)", source: "configuration", problem: err.message };
  }
  const client = docker ?? connectEngine(endpoint);
  const where = { host: endpoint.host, source: endpoint.source };
  let timer: NodeJS.Timeout | undefined;
  try {
    const version = await Promise.race([
      client.version(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return {
      reachable: true,
      ...where,
      version: version.Version,
      apiVersion: version.ApiVersion,
      buildkit: apiAtLeast(version.ApiVersion, "1.39"),
    };
  } catch (err) {
    return { reachable: false, ...where, problem: explainEngineError(err, endpoint) };
  } finally {
    clearTimeout(timer);
  }
}

/** "from DOCKER_HOST", "from Docker context "NAME"", "the default socket": where an address came from. */
function describeSource(endpoint: EngineEndpoint): string {
  return endpoint.source === "the default socket"
    ? "the default socket; DOCKER_HOST is not set and no Docker context is selected"
    : `from ${endpoint.source}`;
}

const START_ONE = "start one (`sudo systemctl start docker`, or `sudo dockerd &`)";

/** One sentence saying where cogts looked for the engine, what went wrong, and how to fix it. */
export function explainEngineError(err: unknown, endpoint: EngineEndpoint = resolveEngineEndpoint()): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  const where = `${endpoint.host} (${describeSource(endpoint)})`;
  const other = `or point ${endpoint.howToChange} at a running engine`;
  if (code === "ENOENT") return `No Docker engine at ${where}: ${START_ONE}, ${other}.`;
  if (code === "EACCES") {
    return `Permission denied on ${where}: add your user to the docker group (\`sudo usermod -aG docker $USER\`, then log in again), run as root, ${other}.`;
  }
  if (code === "ECONNREFUSED")
    return `No Docker engine at ${where}: the connection was refused; ${START_ONE}, ${other}.`;
  const reason = ((err as Error)?.message ?? String(err)).split("\n")[0];
  return `No Docker engine answered at ${where} (${reason}): ${START_ONE}, ${other}.`;
}

/** A connected engine, or a UserError whose message is the one sentence with the fix. */
export async function requireEngine(): Promise<Docker> {
  const docker = connectEngine();
  const status = await engineStatus(docker);
  if (!status.reachable) throw new UserError(status.problem!);
  return docker;
}
