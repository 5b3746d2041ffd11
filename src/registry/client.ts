import { Agent, request } from "undici";
import type { Dispatcher } from "undici";
import type { Readable } from "node:stream";
import { UserError } from "../errors.js";
import { Authenticator, loginHint } from "./auth.js";
import type { Credentials } from "./credentials.js";
import { MAX_ERROR_BODY_BYTES, MAX_REDIRECTS, MAX_RESPONSE_BYTES, readBounded, requireHttpUrl } from "./bounded.js";
import { registryBaseUrl } from "./reference.js";

export { MAX_RESPONSE_BYTES, readBounded, requireHttpUrl } from "./bounded.js";

export type Body = Buffer | string | Readable;

interface RegistryRequest {
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Path from the registry root (`/v2/...`) or an absolute URL (upload Locations). */
  url: string | URL;
  headers?: Record<string, string>;
  /** A factory, so a retried or re-authenticated request can send its body again. */
  body?: () => Body;
  /** Aborts the request, wherever it is: queued, sending its body, or waiting for the answer. */
  signal?: AbortSignal;
  /** The largest answer body read (default MAX_RESPONSE_BYTES); a longer one is an error, not memory growth. */
  maxBytes?: number;
}

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  url: URL;
  text: string;
}

/** A registry replied with an error status; `retryable` says whether waiting and trying again may help. */
export class RegistryHttpError extends UserError {
  constructor(
    readonly registry: string,
    readonly status: number,
    readonly what: string,
    readonly detail: string,
    readonly retryAfterMs?: number,
  ) {
    super(`${what}: the registry ${registry} answered ${status}${detail ? ` (${detail})` : ""}.`);
  }
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

export interface RetryPolicy {
  attempts: number;
  /** First backoff; it doubles with jitter, capped at 20 s. */
  baseDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 6, baseDelayMs: 500 };

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH",
]);

/** Network failures worth retrying (connection reset mid-body, refused while a proxy restarts, timeouts). */
function isRetryableNetworkError(err: unknown): boolean {
  // A problem cogts explained (a malformed answer, a refused address) does not go away by asking again.
  if (err instanceof UserError) return false;
  let e = err as { code?: string; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (e.code && NETWORK_CODES.has(e.code)) return true;
    e = e.cause as typeof e;
  }
  return err instanceof Error && /socket|ECONNRESET|other side closed|terminated/i.test(err.message);
}

export function isRetryable(err: unknown): boolean {
  return (err instanceof RegistryHttpError && err.retryable) || isRetryableNetworkError(err);
}

/** How long to wait before attempt `attempt` (1-based retries), honouring `Retry-After` when the registry sent one. */
export function backoffDelay(policy: RetryPolicy, attempt: number, err: unknown): number {
  if (err instanceof RegistryHttpError && err.retryAfterMs !== undefined) return Math.min(err.retryAfterMs, 60_000);
  const base = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), 20_000);
  return base / 2 + Math.random() * (base / 2);
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The registry's error list (distribution-spec §Error Codes) as one short line. */
function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: unknown } | null;
    if (Array.isArray(body?.errors) && body.errors.length) {
      return body.errors
        .slice(0, 10)
        .map((e: { code?: unknown; message?: unknown } | null) =>
          [e?.code, e?.message].filter((v) => typeof v === "string" && v).join(": "),
        )
        .join("; ")
        .slice(0, 500);
    }
  } catch {
    /* not JSON */
  }
  return text.trim().slice(0, 200);
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function header(res: RegistryResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * An HTTP client for one registry host: authenticates on demand (Basic or Bearer), retries with backoff on
 * network errors, 429 and 5xx, and turns 401/403 into a message that says how to log in.
 */
export class RegistryClient {
  readonly base: URL;
  readonly auth: Authenticator;
  readonly dispatcher: Dispatcher;
  private pinged = false;

  constructor(
    readonly registry: string,
    credentials: Credentials | undefined,
    readonly retry: RetryPolicy = defaultRetryPolicy,
    dispatcher?: Dispatcher,
  ) {
    this.base = new URL(registryBaseUrl(registry));
    this.dispatcher =
      dispatcher ??
      new Agent({ connections: 16, keepAliveTimeout: 30_000, bodyTimeout: 300_000, headersTimeout: 300_000 });
    this.auth = new Authenticator(registry, credentials, this.dispatcher);
  }

  resolve(url: string | URL): URL {
    return url instanceof URL ? url : new URL(url, this.base);
  }

  /** `GET /v2/` (spec end-1) once, so the first real request already carries credentials. */
  async ping(): Promise<void> {
    if (this.pinged) return;
    const res = await this.request({ method: "GET", url: "/v2/" }, "Checking the registry");
    if (res.status !== 200)
      throw new RegistryHttpError(this.registry, res.status, "Checking the registry", errorDetail(res.text));
    this.pinged = true;
  }

  /**
   * Whether a URL is the registry itself. Credentials (Basic, or the registry's bearer token) go only there, as
   * Docker and containerd scope them to the host that challenged: an upload Location or a redirect to another host
   * (storage, a CDN, or a host a hostile registry names) gets no Authorization header.
   */
  isRegistry(url: URL): boolean {
    return url.origin === this.base.origin;
  }

  /**
   * One attempt, re-sent once after a 401 with fresh credentials; a GET or HEAD follows redirects. Error statuses
   * other than 401/403 are returned.
   */
  async send(req: RegistryRequest, what: string): Promise<RegistryResponse> {
    let url = this.resolve(req.url);
    for (let authAttempt = 0, hops = 0; ;) {
      requireHttpUrl(url, what, `the registry ${this.registry}`);
      const own = this.isRegistry(url);
      const headers: Record<string, string> = { ...(req.headers ?? {}) };
      const authorization = own ? await this.auth.authorization() : undefined;
      if (authorization) headers.authorization = authorization;
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method: req.method,
          headers,
          body: req.body?.(),
          dispatcher: this.dispatcher,
          signal: req.signal,
        });
      } catch (err) {
        if (err instanceof Error && (err as { code?: string }).code === "ECONNREFUSED") {
          (err as Error).message =
            `${what}: cannot connect to the registry ${this.registry} at ${url.origin} (${err.message})`;
        }
        throw err;
      }
      const status = res.statusCode;
      const location = [res.headers.location].flat()[0];
      if (REDIRECTS.has(status) && (req.method === "GET" || req.method === "HEAD") && location) {
        await res.body.dump();
        if (++hops > MAX_REDIRECTS)
          throw new UserError(`${what}: the registry ${this.registry} redirected more than ${MAX_REDIRECTS} times.`);
        url = new URL(location, url);
        continue;
      }
      const text =
        req.method === "HEAD"
          ? (await res.body.dump(), "")
          : await readBounded(
              res.body,
              status >= 300 ? MAX_ERROR_BODY_BYTES : (req.maxBytes ?? MAX_RESPONSE_BYTES),
              `${what} (${url.host})`,
              status >= 300,
            );
      const response: RegistryResponse = { status, headers: res.headers, url, text };
      if (status === 401 && !own) {
        throw new UserError(
          `${what}: ${url.host}, where the registry ${this.registry} sent cogts, asks for credentials; cogts sends the credentials of ${this.registry} to no other host.`,
        );
      }
      if (status === 401) {
        if (authAttempt++ === 0 && this.auth.onUnauthorized(header(response, "www-authenticate"))) continue;
        throw loginHint(this.registry, 401, errorDetail(text) || undefined);
      }
      if (status === 403) throw loginHint(this.registry, 403, errorDetail(text) || undefined);
      return response;
    }
  }

  /** `send` with retries; statuses 429 and 5xx are retried, and error statuses become RegistryHttpError. */
  async request(req: RegistryRequest, what: string, okStatuses?: number[]): Promise<RegistryResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.send(req, what);
        if (res.status === 429 || res.status >= 500 || (okStatuses && !okStatuses.includes(res.status))) {
          throw new RegistryHttpError(
            this.registry,
            res.status,
            what,
            errorDetail(res.text),
            parseRetryAfter(res.headers["retry-after"]),
          );
        }
        return res;
      } catch (err) {
        if (attempt >= this.retry.attempts || !isRetryable(err)) throw explainNetworkError(err, this.registry, what);
        await sleep(backoffDelay(this.retry, attempt, err));
      }
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** A network failure as a UserError naming the registry; other errors unchanged. */
export function explainNetworkError(err: unknown, registry: string, what = "Talking to the registry"): unknown {
  if (err instanceof UserError || !isRetryableNetworkError(err)) return err;
  let e = err as { code?: string; message?: string; cause?: unknown } | undefined;
  let code: string | undefined;
  for (let depth = 0; e && depth < 4 && !code; depth++) {
    code = e.code;
    e = e.cause as typeof e;
  }
  return new UserError(
    `${what}: the registry ${registry} could not be reached (${code ?? (err as Error).message}). Check the name, your network, and that the registry is up.`,
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function errorDetailOf(res: RegistryResponse): string {
  return errorDetail(res.text);
}
