/**
 * Which Docker engine to talk to, found the way the docker CLI finds it (docker/cli cli/command/cli.go
 * resolveContextName, cli/context/docker/load.go):
 *
 *   1. DOCKER_HOST, when set (unix://, tcp:// with DOCKER_TLS / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, ssh://);
 *   2. else the Docker context named by DOCKER_CONTEXT, else `currentContext` of config.json in DOCKER_CONFIG
 *      (default ~/.docker), its endpoint read from contexts/meta/<sha256 of the name>/meta.json;
 *   3. else (or for the context named "default") the default socket, /var/run/docker.sock.
 *
 * Everything that connects to the engine (dockerode, the raw BuildKit session connection, the layer store's
 * "is this engine on this machine" check) starts from the endpoint resolved here, never from dockerode's guesses.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { UserError } from "../errors.js";

export const DEFAULT_SOCKET = "/var/run/docker.sock";
const DEFAULT_HTTP_PORT = 2375;
const DEFAULT_TLS_PORT = 2376;
const DEFAULT_SSH_PORT = 22;

export interface EngineTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** false for DOCKER_TLS without DOCKER_TLS_VERIFY, or a context endpoint with SkipTLSVerify. */
  verify: boolean;
}

export interface EngineEndpoint {
  /** The address as the user would write it: `unix:///var/run/docker.sock`, `tcp://10.0.0.2:2375`. */
  host: string;
  /** Where the address came from, for messages: `DOCKER_HOST`, `Docker context "NAME"`, `the default socket`. */
  source: string;
  /** What setting to change to pick another engine, for messages. */
  howToChange: string;
  kind: "unix" | "tcp" | "ssh";
  /** unix: the socket file. */
  socketPath?: string;
  /** tcp, ssh: where to connect. */
  hostname?: string;
  port?: number;
  /** ssh: the user to log in as. */
  username?: string;
  /** tcp: TLS settings when the connection is TLS. */
  tls?: EngineTls;
}

/** DOCKER_CONFIG, else ~/.docker (the docker CLI's config directory). */
function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), ".docker");
}

function readJson(file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(`Cannot read ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}).`);
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new UserError(`${what} ${file} is not a JSON object: fix or remove it.`);
}

/** The context named by DOCKER_CONTEXT, else by config.json's currentContext; undefined for none or "default". */
function selectedContext(env: NodeJS.ProcessEnv): { name: string; from: string } | undefined {
  if (env.DOCKER_CONTEXT)
    return env.DOCKER_CONTEXT === "default" ? undefined : { name: env.DOCKER_CONTEXT, from: "DOCKER_CONTEXT" };
  const configFile = path.join(dockerConfigDir(env), "config.json");
  if (!existsSync(configFile)) return undefined;
  const current = readJson(configFile, "The Docker CLI configuration").currentContext;
  if (typeof current !== "string" || current === "" || current === "default") return undefined;
  return { name: current, from: configFile };
}

function unixEndpoint(address: string, socketPath: string, source: string, howToChange: string): EngineEndpoint {
  if (!socketPath)
    throw new UserError(`${source} is ${address}, which names no socket file: use unix:///PATH/docker.sock.`);
  return { host: `unix://${socketPath}`, source, howToChange, kind: "unix", socketPath };
}

/** Parses a Docker host address (`unix://`, `tcp://`, `ssh://`, or a bare `HOST:PORT`, which docker reads as tcp). */
function parseDockerHost(address: string, source: string, howToChange: string, tls?: EngineTls): EngineEndpoint {
  if (address.startsWith("unix://")) return unixEndpoint(address, address.slice("unix://".length), source, howToChange);
  const withScheme = address.includes("://") ? address : `tcp://${address}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UserError(
      `${source} is ${address}, which is not a Docker engine address: use unix:///PATH/docker.sock, tcp://HOST:PORT or ssh://USER@HOST.`,
    );
  }
  if (!["tcp:", "http:", "https:", "ssh:"].includes(url.protocol)) {
    throw new UserError(`${source} is ${address}: cogts talks to engines over unix://, tcp:// and ssh:// only.`);
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!hostname) throw new UserError(`${source} is ${address}, which names no host: use tcp://HOST:PORT.`);
  const port = url.port ? Number(url.port) : undefined;
  if (url.protocol === "tcp:" || url.protocol === "http:" || url.protocol === "https:") {
    const secure = tls ?? (url.protocol === "https:" ? { verify: true } : undefined);
    const effectivePort = port ?? (secure ? DEFAULT_TLS_PORT : DEFAULT_HTTP_PORT);
    return {
      host: `tcp://${url.host.replace(/:\d+$/, "")}:${effectivePort}`,
      source,
      howToChange,
      kind: "tcp",
      hostname,
      port: effectivePort,
      tls: secure,
    };
  }
  return {
    host: address,
    source,
    howToChange,
    kind: "ssh",
    hostname,
    port: port ?? DEFAULT_SSH_PORT,
    username: url.username ? decodeURIComponent(url.username) : undefined,
  };
}

function readIfExists(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** TLS settings of DOCKER_HOST, as the docker CLI reads them from the environment. */
function envTls(env: NodeJS.ProcessEnv): EngineTls | undefined {
  const verify = Boolean(env.DOCKER_TLS_VERIFY);
  if (!verify && !env.DOCKER_TLS) return undefined;
  const dir = env.DOCKER_CERT_PATH || dockerConfigDir(env);
  const tls: EngineTls = {
    verify,
    ca: readIfExists(path.join(dir, "ca.pem")),
    cert: readIfExists(path.join(dir, "cert.pem")),
    key: readIfExists(path.join(dir, "key.pem")),
  };
  if (Boolean(tls.cert) !== Boolean(tls.key))
    throw new UserError(
      `DOCKER_CERT_PATH ${dir} has only one of cert.pem and key.pem: a client certificate needs both.`,
    );
  return tls;
}

function contextEndpoint(name: string, from: string, env: NodeJS.ProcessEnv): EngineEndpoint {
  const configDir = dockerConfigDir(env);
  const id = createHash("sha256").update(name).digest("hex");
  const metaFile = path.join(configDir, "contexts", "meta", id, "meta.json");
  const source = `Docker context "${name}"`;
  const howToChange = from === "DOCKER_CONTEXT" ? "DOCKER_CONTEXT" : "`docker context use NAME`";
  if (!existsSync(metaFile)) {
    throw new UserError(
      `The current Docker context "${name}" (from ${from}) does not exist: there is no ${metaFile}; pick another with \`docker context use NAME\` or set DOCKER_HOST.`,
    );
  }
  const meta = readJson(metaFile, `The metadata of ${source}`);
  const docker = (meta.Endpoints as Record<string, { Host?: unknown; SkipTLSVerify?: unknown } | undefined> | undefined)
    ?.docker;
  if (!docker || typeof docker.Host !== "string" || docker.Host === "") {
    throw new UserError(
      `${source} has no Docker endpoint (Endpoints.docker.Host in ${metaFile}): recreate it with \`docker context create\`.`,
    );
  }
  const tlsDir = path.join(configDir, "contexts", "tls", id, "docker");
  const tlsFiles = {
    ca: readIfExists(path.join(tlsDir, "ca.pem")),
    cert: readIfExists(path.join(tlsDir, "cert.pem")),
    key: readIfExists(path.join(tlsDir, "key.pem")),
  };
  const skipVerify = docker.SkipTLSVerify === true;
  // As the docker CLI: TLS when the context stores TLS material or says to skip verification.
  const tls =
    tlsFiles.ca || tlsFiles.cert || tlsFiles.key || skipVerify ? { ...tlsFiles, verify: !skipVerify } : undefined;
  return parseDockerHost(docker.Host, source, howToChange, tls);
}

/** The engine endpoint selected by this environment and the Docker CLI's files; throws a UserError when they are wrong. */
export function resolveEngineEndpoint(env: NodeJS.ProcessEnv = process.env): EngineEndpoint {
  if (env.DOCKER_HOST) return parseDockerHost(env.DOCKER_HOST, "DOCKER_HOST", "DOCKER_HOST", envTls(env));
  const context = selectedContext(env);
  if (context) return contextEndpoint(context.name, context.from, env);
  return unixEndpoint(
    `unix://${DEFAULT_SOCKET}`,
    DEFAULT_SOCKET,
    "the default socket",
    "DOCKER_HOST or `docker context use NAME`",
  );
}

/** True when the engine runs on this machine (a unix socket, or tcp to a loopback address). */
export function isLocalEndpoint(endpoint: EngineEndpoint): boolean {
  if (endpoint.kind === "unix") return true;
  return endpoint.kind === "tcp" && ["localhost", "127.0.0.1", "::1"].includes(endpoint.hostname ?? "");
}
