import { spawn } from "node:child_process";
import { mkdir, readFile, rename, writeFile, chmod } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { UserError } from "../errors.js";

/**
 * Registry credentials the way docker stores them: `$DOCKER_CONFIG/config.json` (default `~/.docker`),
 * with `auths`, a default `credsStore` and per-host `credHelpers` run by the docker-credential protocol.
 * `COG_REGISTRY_USERNAME` + `COG_REGISTRY_PASSWORD` override everything (CI without a config file).
 */
export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker's `identitytoken`), exchanged at the token endpoint. */
  identityToken?: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

function dockerConfigPath(): string {
  return join(process.env.DOCKER_CONFIG || join(homedir(), ".docker"), "config.json");
}

async function readDockerConfig(): Promise<DockerConfigFile> {
  const path = dockerConfigPath();
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
  try {
    return JSON.parse(text) as DockerConfigFile;
  } catch (err) {
    throw new UserError(`${path} is not valid JSON (${(err as Error).message}): fix or remove it.`);
  }
}

/** The keys docker may have used for a host in `auths`. */
function authKeysFor(host: string): string[] {
  const keys = [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
  if (host === "docker.io" || host === "registry-1.docker.io") keys.push("https://index.docker.io/v1/");
  return keys;
}

interface HelperOutput {
  ServerURL?: string;
  Username?: string;
  Secret?: string;
}

/** Runs `docker-credential-<helper> <action>` with `input` on stdin; resolves stdout, rejects with its message. */
function runHelper(helper: string, action: "get" | "store" | "erase", input: string): Promise<string> {
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, [action], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", (e) =>
      reject(
        new UserError(
          `Cannot run the credential helper ${program} (${e.message}): install it or remove it from ${dockerConfigPath()}.`,
        ),
      ),
    );
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new HelperError(program, out.trim() || err.trim() || `exit code ${code}`));
    });
    child.stdin.end(input);
  });
}

class HelperError extends UserError {
  constructor(
    readonly program: string,
    readonly detail: string,
  ) {
    super(`The credential helper ${program} failed: ${detail}`);
  }
  get notFound(): boolean {
    return /credentials not found/i.test(this.detail);
  }
}

async function helperGet(helper: string, host: string): Promise<Credentials | undefined> {
  for (const serverUrl of [host, `https://${host}`]) {
    try {
      const out = JSON.parse(await runHelper(helper, "get", serverUrl)) as HelperOutput;
      if (out.Username === "<token>") return { identityToken: out.Secret };
      return { username: out.Username, password: out.Secret };
    } catch (err) {
      if (err instanceof HelperError && err.notFound) continue;
      throw err;
    }
  }
  return undefined;
}

/** Credentials for a registry host, or undefined for anonymous access. */
export async function resolveCredentials(host: string): Promise<Credentials | undefined> {
  const envUser = process.env.COG_REGISTRY_USERNAME;
  const envPassword = process.env.COG_REGISTRY_PASSWORD;
  if (envUser && envPassword) return { username: envUser, password: envPassword };
  const config = await readDockerConfig();
  const helper = config.credHelpers?.[host];
  if (helper) return helperGet(helper, host);
  if (config.credsStore) {
    const found = await helperGet(config.credsStore, host);
    if (found) return found;
  }
  for (const key of authKeysFor(host)) {
    const entry = config.auths?.[key];
    if (!entry) continue;
    if (entry.identitytoken) return { identityToken: entry.identitytoken };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  }
  return undefined;
}

/** Where `saveCredentials` put them, for the message after `cog login`. */
export type SavedWhere = { helper: string } | { file: string };

/**
 * Stores credentials as docker would: through the host's credHelper or the credsStore when configured,
 * else as base64 `auth` in config.json, written atomically with mode 0600.
 */
export async function saveCredentials(host: string, username: string, secret: string): Promise<SavedWhere> {
  const config = await readDockerConfig();
  const helper = config.credHelpers?.[host] ?? config.credsStore;
  if (helper) {
    await runHelper(helper, "store", JSON.stringify({ ServerURL: host, Username: username, Secret: secret }));
    return { helper: `docker-credential-${helper}` };
  }
  const path = dockerConfigPath();
  config.auths = { ...(config.auths ?? {}), [host]: { auth: Buffer.from(`${username}:${secret}`).toString("base64") } };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(config, null, "\t") + "\n", { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, path);
  return { file: path };
}
