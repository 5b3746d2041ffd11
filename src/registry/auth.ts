import { request } from "undici";
import type { Dispatcher } from "undici";
import { UserError } from "../errors.js";
import { readBounded, requireHttpUrl } from "./bounded.js";
import type { Credentials } from "./credentials.js";
import { registryBaseUrl } from "./reference.js";

/** A token answer is a few kilobytes of JSON; more is refused rather than read. */
const MAX_TOKEN_BYTES = 1 << 20;

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** One parsed `WWW-Authenticate` challenge (RFC 7235; distribution auth/token.md §"How to authenticate"). */
interface Challenge {
  scheme: "basic" | "bearer";
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="a b"` and `Basic realm="…"`; unknown schemes give undefined. */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  if (scheme !== "basic" && scheme !== "bearer") return undefined;
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let m = re.exec(match[2]!); m; m = re.exec(match[2]!)) {
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!;
  }
  return { scheme, params };
}

/** `repository:<name>:<actions>` (distribution auth/scope.md); names may hold `host:port`, so never split on ':'. */
export function repositoryScope(repository: string, actions: string[]): string {
  return `repository:${repository}:${actions.join(",")}`;
}

/** The message every 401/403 ends with: which registry, and how to log in. */
export function loginHint(registry: string, status: number, detail?: string): UserError {
  const what =
    status === 403
      ? `The registry ${registry} denied access${detail ? ` (${detail})` : ""}: check that the repository exists and your account may push to it`
      : `The registry ${registry} requires authentication${detail ? ` (${detail})` : ""}`;
  return new UserError(
    `${what}. Log in with \`cog login ${registry}\` (or set COG_REGISTRY_USERNAME and COG_REGISTRY_PASSWORD).`,
  );
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/**
 * Holds the credentials and the registry's challenge, and produces the Authorization header for requests:
 * Basic from the credentials, or a Bearer token fetched from the challenge's realm for the wanted scopes,
 * cached until shortly before it expires.
 */
export class Authenticator {
  private challenge: Challenge | undefined;
  private cached: CachedToken | undefined;
  private readonly scopes = new Set<string>();

  constructor(
    readonly registry: string,
    private readonly credentials: Credentials | undefined,
    private readonly dispatcher?: Dispatcher,
  ) {}

  /** Adds scopes (e.g. `pull` on a mount source); a new token is fetched when the set grows. */
  addScopes(...scopes: string[]): void {
    const before = this.scopes.size;
    for (const s of scopes) this.scopes.add(s);
    if (this.scopes.size !== before) this.cached = undefined;
  }

  /** The header for the next request, or undefined while the registry has not asked for credentials. */
  async authorization(): Promise<string | undefined> {
    if (!this.challenge) return undefined;
    if (this.challenge.scheme === "basic") return this.basicHeader();
    if (!this.cached || Date.now() > this.cached.expiresAt) this.cached = await this.fetchToken(this.challenge);
    return `Bearer ${this.cached.token}`;
  }

  /** Called on a 401: remembers the challenge and forgets the token. Returns false when retrying cannot help. */
  onUnauthorized(wwwAuthenticate: string | undefined): boolean {
    const challenge = parseChallenge(wwwAuthenticate);
    if (!challenge) return false;
    const hadToken = this.cached !== undefined;
    const sameScheme = this.challenge?.scheme === challenge.scheme;
    // Keep scopes the registry names (it may ask for more than we knew, e.g. on a mount source).
    if (challenge.params.scope) this.addScopes(...challenge.params.scope.split(" "));
    const firstTime = !this.challenge || !sameScheme;
    this.challenge = challenge;
    this.cached = undefined;
    if (challenge.scheme === "basic") return firstTime && this.hasPassword();
    // A bearer token that expired early is worth one refresh; a fresh one that fails is final.
    return firstTime || hadToken;
  }

  /** Whether a token request carries anything secret (a password or an identity token). */
  private sendsCredentials(): boolean {
    return this.hasPassword() || Boolean(this.credentials?.identityToken);
  }

  private hasPassword(): boolean {
    return Boolean(this.credentials?.username && this.credentials.password);
  }

  private basicHeader(): string {
    if (!this.hasPassword()) throw loginHint(this.registry, 401);
    const { username, password } = this.credentials!;
    return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  }

  /** distribution auth/token.md §"Requesting a Token" (GET) and oauth.md (POST with a refresh token). */
  private async fetchToken(challenge: Challenge): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm)
      throw new UserError(`The registry ${this.registry} sent a Bearer challenge without a realm; it cannot be used.`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new UserError(
        `The registry ${this.registry} named the token server ${JSON.stringify(realm.slice(0, 200))}, which is not a URL.`,
      );
    }
    requireHttpUrl(url, "Fetching a registry token", `the registry ${this.registry}`);
    // distribution auth/token.md: the client sends its credentials to the realm, which may be another host. Not in
    // clear text, though, when the registry itself was reached over TLS (a hostile or hijacked challenge's realm).
    const registryUrl = new URL(registryBaseUrl(this.registry));
    if (
      registryUrl.protocol === "https:" &&
      url.protocol === "http:" &&
      this.sendsCredentials() &&
      !isLoopback(url.hostname)
    ) {
      throw new UserError(
        `The registry ${this.registry} (https) sent cogts to the token server ${url.origin} over plain http; cogts does not send your credentials unencrypted. Ask the registry's operator to serve its token realm over https.`,
      );
    }
    const scopes = [...this.scopes];
    let response: Dispatcher.ResponseData;
    if (this.credentials?.identityToken) {
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: this.credentials.identityToken,
        client_id: "cogts",
      });
      if (challenge.params.service) form.set("service", challenge.params.service);
      if (scopes.length) form.set("scope", scopes.join(" "));
      response = await request(url, {
        method: "POST",
        body: form.toString(),
        dispatcher: this.dispatcher,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
    } else {
      if (challenge.params.service) url.searchParams.set("service", challenge.params.service);
      for (const scope of scopes) url.searchParams.append("scope", scope);
      const headers: Record<string, string> = {};
      if (this.hasPassword()) headers.authorization = this.basicHeader();
      response = await request(url, { method: "GET", headers, dispatcher: this.dispatcher });
    }
    const text = await readBounded(
      response.body,
      MAX_TOKEN_BYTES,
      `Fetching a token from ${url.origin}`,
      response.statusCode !== 200,
    );
    if (response.statusCode === 401 || response.statusCode === 403) {
      throw loginHint(this.registry, response.statusCode, `token server ${url.host} said ${response.statusCode}`);
    }
    if (response.statusCode !== 200) {
      throw new UserError(
        `The token server of ${this.registry} (${url.origin}) answered ${response.statusCode}: ${text.slice(0, 200)}`,
      );
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // Not retried as a network error: the answer arrived whole, and asking again gets the same.
      throw new UserError(
        `The token server of ${this.registry} (${url.origin}) answered 200 with a body that is not valid JSON (${text.length} characters, starting ${JSON.stringify(text.slice(0, 60))}); no token can be read from it.`,
      );
    }
    const token =
      typeof body?.token === "string" && body.token
        ? body.token
        : typeof body?.access_token === "string"
          ? body.access_token
          : undefined;
    if (!token) throw new UserError(`The token server of ${this.registry} (${url.origin}) returned no token.`);
    // The spec says 60 s when absent; refresh 10 s early so a long upload does not start with a dying token.
    const lifetime = Math.max(
      typeof body.expires_in === "number" && Number.isFinite(body.expires_in) ? body.expires_in : 60,
      60,
    );
    return { token, expiresAt: Date.now() + (lifetime - 10) * 1000 };
  }
}
