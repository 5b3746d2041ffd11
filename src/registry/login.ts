import { request } from "undici";
import { UserError } from "../errors.js";
import { readBounded } from "./bounded.js";
import { RegistryClient } from "./client.js";
import { saveCredentials } from "./credentials.js";
import type { SavedWhere } from "./credentials.js";
import { registryBaseUrl } from "./reference.js";

/**
 * `cog login`: the Replicate token flow for registries that serve `/cog/v1/*` (docs/spec/cog-contract.md §3), else a
 * username and password checked against the registry's `/v2/` before they are saved as docker would.
 */
interface LoginPrompts {
  /** Shows the token page URL and asks for the token (hidden input). */
  token(url: string): Promise<string>;
  username(): Promise<string>;
  /** Hidden input. */
  password(): Promise<string>;
}

interface LoginOptions {
  registry: string;
  /** Token given up front (`--token-stdin`). */
  token?: string;
  username?: string;
  /** Password given up front (`--password-stdin`). */
  password?: string;
  prompts: LoginPrompts;
}

interface LoginResult {
  username: string;
  saved: SavedWhere;
  flow: "token" | "password";
}

/** `GET /cog/v1/display-token-url` → `{url}` when the registry does Replicate's token login; undefined otherwise. */
async function tokenPageUrl(registry: string): Promise<string | undefined> {
  try {
    const res = await request(`${registryBaseUrl(registry)}/cog/v1/display-token-url`, { method: "GET" });
    const text = await readBounded(res.body, 64 << 10, "Reading the token page address");
    if (res.statusCode !== 200) return undefined;
    const url = (JSON.parse(text) as { url?: unknown }).url;
    return typeof url === "string" ? url : undefined;
  } catch {
    return undefined;
  }
}

/** `POST /cog/v1/verify-token` (form `token`) → `{username}`; 404 means no such user. */
async function verifyToken(registry: string, token: string): Promise<string> {
  let res;
  try {
    res = await request(`${registryBaseUrl(registry)}/cog/v1/verify-token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token }).toString(),
    });
  } catch (err) {
    throw new UserError(`Cannot reach ${registry} to verify the token (${(err as Error).message}).`);
  }
  const text = await readBounded(res.body, 64 << 10, `Verifying the token with ${registry}`, res.statusCode !== 200);
  if (res.statusCode === 404)
    throw new UserError(
      `The token was not accepted by ${registry}: no user has this token. Copy it again from the token page.`,
    );
  if (res.statusCode !== 200)
    throw new UserError(`${registry} could not verify the token (HTTP ${res.statusCode}): ${text.slice(0, 200)}`);
  let username: unknown;
  try {
    username = (JSON.parse(text) as { username?: unknown } | null)?.username;
  } catch {
    throw new UserError(
      `${registry} answered the token check with something that is not JSON: ${JSON.stringify(text.slice(0, 100))}.`,
    );
  }
  if (typeof username !== "string" || !username)
    throw new UserError(`${registry} verified the token but named no user.`);
  return username;
}

export async function login(options: LoginOptions): Promise<LoginResult> {
  const { registry, prompts } = options;
  const pageUrl = options.username ? undefined : await tokenPageUrl(registry);
  if (pageUrl !== undefined) {
    const token = (options.token ?? (await prompts.token(pageUrl))).trim();
    if (!token)
      throw new UserError("No token given: paste the token from the page, or pipe it to `cog login --token-stdin`.");
    if (token.startsWith("r8_")) {
      throw new UserError(
        `That is a Replicate API token (r8_…), not a CLI login token: get the login token from ${pageUrl}.`,
      );
    }
    const username = await verifyToken(registry, token);
    return { username, saved: await saveCredentials(registry, username, token), flow: "token" };
  }
  if (options.token !== undefined) {
    throw new UserError(
      `${registry} does not offer token login (no /cog/v1/display-token-url): log in with --username and --password-stdin.`,
    );
  }
  const username = (options.username ?? (await prompts.username())).trim();
  const password = options.password ?? (await prompts.password());
  if (!username || !password) throw new UserError("A username and a password are needed to log in.");
  const client = new RegistryClient(registry, { username, password }, { attempts: 2, baseDelayMs: 200 });
  try {
    await client.ping();
  } catch (err) {
    if (err instanceof UserError && /requires authentication|denied access/.test(err.message)) {
      throw new UserError(
        `Login to ${registry} failed: the registry did not accept the username and password for ${username}.`,
      );
    }
    throw err;
  } finally {
    await client.close();
  }
  return { username, saved: await saveCredentials(registry, username, password), flow: "password" };
}
