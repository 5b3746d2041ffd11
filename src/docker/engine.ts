import Docker from "dockerode";
import { UserError } from "../errors.js";

/**
 * The Docker engine cogts talks to: DOCKER_HOST when set (unix://, tcp://), else the default socket.
 * dockerode's modem reads DOCKER_HOST itself; this is the one place that constructs a client.
 */
export function connectEngine(): Docker {
  return new Docker();
}

export interface EngineStatus {
  reachable: boolean;
  /** Where we looked, for messages. */
  host: string;
  version?: string;
  apiVersion?: string;
  /** BuildKit is built into Docker 18.09+ (API 1.39+) and reachable through the engine API. */
  buildkit?: boolean;
  /** One sentence with the fix, when not reachable. */
  problem?: string;
}

function engineHost(): string {
  return process.env.DOCKER_HOST || "unix:///var/run/docker.sock";
}

function apiAtLeast(version: string, min: string): boolean {
  const [a = 0, b = 0] = version.split(".").map(Number);
  const [c = 0, d = 0] = min.split(".").map(Number);
  return a > c || (a === c && b >= d);
}

/** Asks the engine who it is, without throwing: `cog doctor` reports, other commands call `requireEngine`. */
export async function engineStatus(docker: Docker = connectEngine(), timeoutMs = 5000): Promise<EngineStatus> {
  const host = engineHost();
  try {
    const version = await Promise.race([
      docker.version(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    return {
      reachable: true,
      host,
      version: version.Version,
      apiVersion: version.ApiVersion,
      buildkit: apiAtLeast(version.ApiVersion, "1.39"),
    };
  } catch (err) {
    return { reachable: false, host, problem: explainEngineError(err, host) };
  }
}

/** One sentence saying what is wrong with the engine connection and how to fix it. */
export function explainEngineError(err: unknown, host = engineHost()): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === "ENOENT") {
    return `No Docker engine at ${host}: start one (for example \`sudo systemctl start docker\`, or \`dockerd &\`) or point DOCKER_HOST at a running engine.`;
  }
  if (code === "EACCES") {
    return `Permission denied on ${host}: add your user to the docker group (\`sudo usermod -aG docker $USER\`, then log in again) or run as root.`;
  }
  if (code === "ECONNREFUSED") {
    return `The Docker engine at ${host} refused the connection: check that dockerd is running and DOCKER_HOST is right.`;
  }
  return `The Docker engine at ${host} did not answer (${(err as Error)?.message ?? String(err)}): check that dockerd is running and DOCKER_HOST is right.`;
}

/** A connected engine, or a UserError whose message is the one sentence with the fix. */
export async function requireEngine(): Promise<Docker> {
  const docker = connectEngine();
  const status = await engineStatus(docker);
  if (!status.reachable) throw new UserError(status.problem!);
  return docker;
}
