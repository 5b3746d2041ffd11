/**
 * Pulling an image into the engine (`cog run IMAGE` with an image the engine does not have), as `docker pull`:
 * the engine fetches it, with the credentials docker (or `cog login`) stored for its registry, and reports
 * progress per layer, which is printed as one line per layer and step.
 */
import type Docker from "dockerode";
import { UserError } from "../errors.js";

interface PullMessage {
  id?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  progressDetail?: { current?: number; total?: number };
}

/** The registry host of an image name as the engine reads it: the first part when it looks like a host. */
function registryHostOf(image: string): string {
  const first = image.split("/")[0]!;
  const hasHost = image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  return hasHost ? first : "docker.io";
}

async function authFor(image: string): Promise<Record<string, string> | undefined> {
  const { resolveCredentials } = await import("../registry/index.js");
  const host = registryHostOf(image);
  const credentials = await resolveCredentials(host).catch(() => undefined);
  if (!credentials) return undefined;
  if (credentials.identityToken) return { identitytoken: credentials.identityToken, serveraddress: host };
  return { username: credentials.username ?? "", password: credentials.password ?? "", serveraddress: host };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Pulls `image` (tag `latest` when it names none), writing progress lines to `out`; a UserError when it cannot. */
export async function pullImage(docker: Docker, image: string, out: NodeJS.WritableStream): Promise<void> {
  out.write(`Pulling ${image} (not in the engine)…\n`);
  const authconfig = await authFor(image);
  let failure: string | undefined;
  const seen = new Set<string>();
  try {
    const stream = (await docker.pull(image, authconfig ? { authconfig } : {})) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (message: PullMessage) => {
          if (message.error) {
            failure = message.errorDetail?.message ?? message.error;
            return;
          }
          if (!message.status) return;
          // One line per layer and step; the byte counters of "Downloading"/"Extracting" would be hundreds of lines.
          const key = `${message.id ?? ""}\0${message.status}`;
          if (seen.has(key)) return;
          seen.add(key);
          const total = message.progressDetail?.total;
          out.write(`${message.id ? `${message.id}: ` : ""}${message.status}${total ? ` (${mib(total)})` : ""}\n`);
        },
      );
    });
  } catch (err) {
    failure ??= (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
  }
  if (failure) throw new UserError(explainPullFailure(image, failure));
}

function explainPullFailure(image: string, message: string): string {
  const reason = message.replace(/^\(HTTP code \d+\) [^-]*- /, "").trim();
  if (/unauthorized|authentication required|denied/i.test(reason)) {
    return `Cannot pull ${image}: the registry refused access (${reason}). Log in with \`cog login ${registryHostOf(image)}\` (or docker login), or check the name.`;
  }
  if (/not found|manifest unknown|does not exist|no such host|name unknown/i.test(reason)) {
    return `No image ${image} in the engine, and its registry does not have it either (${reason}): check the name, or build it with \`cog build -t ${image}\`.`;
  }
  return `Cannot pull ${image}: ${reason}`;
}
