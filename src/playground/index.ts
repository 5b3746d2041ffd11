/**
 * The browser playground: a static page generated from a model's /openapi.json, served with a same-origin proxy to
 * the model's API (so the model server needs no CORS headers), as `cog playground` and `cog serve --playground` do.
 *
 *   const playground = await startPlayground({ target: "http://127.0.0.1:8393", port: 0 });
 *   console.log(playground.url); // http://127.0.0.1:PORT/
 *   await playground.close();
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { UserError, UsageError } from "../errors.js";
import { loadAssets, type Asset } from "./assets.js";
import { TOKEN, WebhookRelay } from "./relay.js";

export { openBrowser } from "./open-browser.js";

export interface PlaygroundOptions {
  /** Base URL of a running Cog-compatible server, e.g. http://127.0.0.1:8393. */
  target: string;
  /** 0 picks a free port. */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /**
   * The host name the model server reaches the playground by (127.0.0.1 for a server on this machine): when given,
   * predictions that do not stream show their logs live, sent by the model server as webhooks to the playground.
   */
  webhookHost?: string;
}

export interface Playground {
  /** The page's address for a browser on this machine, ending in `/`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Request headers that belong to the browser's session with the playground, not to the model server. */
const DROPPED_REQUEST_HEADERS = new Set([
  "host",
  "origin",
  "referer",
  "cookie",
  "authorization",
  "connection",
  "keep-alive",
]);
const DROPPED_RESPONSE_HEADERS = new Set([
  "set-cookie",
  "clear-site-data",
  "service-worker-allowed",
  "connection",
  "keep-alive",
]);

const SECURITY_HEADERS = {
  // Outputs may be data: or http(s) URLs (a server run with --upload-url); nothing else loads from elsewhere.
  "content-security-policy":
    "default-src 'self'; img-src 'self' data: blob: http: https:; media-src 'self' data: blob: http: https:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

/** Checks a --target value: an http(s) URL without credentials; returned without a trailing slash. */
export function parseTarget(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--target must be a URL such as http://127.0.0.1:8393, not ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError(`--target must be an http:// or https:// URL, not ${raw}`);
  if (url.username || url.password) throw new UsageError("--target must not carry a user name or password");
  url.pathname = url.pathname.replace(/\/+$/, "");
  url.search = "";
  url.hash = "";
  return url;
}

function isLoopbackName(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, "").toLowerCase();
  return name === "localhost" || name === "::1" || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** The host part of a Host header (`[::1]:9000` → `::1`, `example:80` → `example`). */
function hostOf(header: string): string {
  const bracketed = /^\[([^\]]*)\]/.exec(header);
  if (bracketed) return bracketed[1]!;
  return header.replace(/:\d*$/, "");
}

/**
 * A page on another site must not drive the model through this proxy: the Host header must name this machine
 * (or the address the playground was told to listen on), which stops DNS rebinding, and a request from another
 * origin is refused.
 */
function allowed(req: IncomingMessage, boundHost: string): boolean {
  const host = hostOf(req.headers.host ?? "");
  if (!isLoopbackName(host) && host !== boundHost.replace(/^\[|\]$/g, "")) return false;
  if (req.headers["sec-fetch-site"] === "cross-site") return false;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== "null") {
    try {
      if (new URL(origin).host !== req.headers.host) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", ...SECURITY_HEADERS });
  res.end(JSON.stringify(body));
}

function sendAsset(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
  res.writeHead(200, {
    "content-type": asset.type,
    "cache-control": "no-cache",
    ...(gzip ? { "content-encoding": "gzip" } : {}),
    vary: "accept-encoding",
    ...SECURITY_HEADERS,
  });
  res.end(req.method === "HEAD" ? undefined : gzip ? asset.gzipped : asset.body);
}

/** Forwards /api/REST to TARGET/REST, streaming both ways (server-sent events pass through as they come). */
function proxy(req: IncomingMessage, res: ServerResponse, target: URL, rest: string): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !DROPPED_REQUEST_HEADERS.has(name)) headers[name] = value;
  }
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  const upstream = send(
    {
      protocol: target.protocol,
      hostname: target.hostname.replace(/^\[|\]$/g, ""),
      port: target.port,
      path: target.pathname.replace(/\/+$/, "") + rest,
      method: req.method,
      headers,
    },
    (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !DROPPED_RESPONSE_HEADERS.has(name)) out[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, { ...out, ...SECURITY_HEADERS });
      res.flushHeaders();
      answer.pipe(res);
    },
  );
  upstream.on("error", (error) => {
    if (!res.headersSent)
      sendJson(res, 502, { error: `cannot reach the model server at ${target.href}: ${error.message}` });
    else res.destroy();
  });
  // The browser going away (a closed tab, an aborted stream) ends the upstream request too: for an SSE
  // prediction that cancels it, as closing the stream does when talking to the server directly.
  res.on("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** Serves the playground page and proxies the target's API under /api/. Resolves once the page answers. */
export async function startPlayground(options: PlaygroundOptions): Promise<Playground> {
  const target = parseTarget(options.target);
  const host = options.host ?? "127.0.0.1";
  const assets = loadAssets();
  const relay = new WebhookRelay();
  let config = "";

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    // The model server's webhooks come from wherever it runs (a container, say): they name a page's random token.
    const webhook = /^\/webhook\/([^/]+)$/.exec(path);
    if (webhook && req.method === "POST") {
      if (options.webhookHost && TOKEN.test(webhook[1]!)) return relay.receive(req, res, webhook[1]!);
      req.resume();
      return sendJson(res, 404, { error: "no such webhook" });
    }
    if (!allowed(req, host))
      return sendJson(res, 403, { error: "the playground answers only pages it served, on this machine" });
    if (path.startsWith("/api/")) return proxy(req, res, target, (req.url ?? "").slice("/api".length));
    const events = /^\/events\/([^/]+)$/.exec(path);
    if (events && TOKEN.test(events[1]!) && options.webhookHost)
      return relay.subscribe(req, res, events[1]!, SECURITY_HEADERS);
    if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { error: "method not allowed" });
    if (path === "/config.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store", ...SECURITY_HEADERS });
      return res.end(config);
    }
    const asset = assets.get(path === "/" ? "/index.html" : path);
    if (!asset) return sendJson(res, 404, { error: `no such page: ${path}` });
    sendAsset(req, res, asset);
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE")
        reject(
          new UserError(`port ${options.port} on ${host} is in use: choose another one with -p (0 picks a free port)`),
        );
      else if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND")
        reject(new UserError(`cannot listen on ${host}: no such address on this machine`));
      else reject(error);
    });
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const browserHost =
    host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${browserHost}:${port}/`;
  const webhookHost = options.webhookHost?.includes(":") ? `[${options.webhookHost}]` : options.webhookHost;
  config = JSON.stringify({
    target: target.href.replace(/\/$/, ""),
    ...(webhookHost ? { webhooks: `http://${webhookHost}:${port}/webhook/` } : {}),
  });
  const close = () =>
    new Promise<void>((resolve) => {
      relay.close();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  // "Once it answers": the page is fetched once through the same route a browser takes.
  try {
    const answer = await fetch(url);
    await answer.arrayBuffer();
    if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
  } catch (error) {
    await close();
    throw new UserError(`the playground at ${url} does not answer: ${(error as Error).message}`);
  }
  return { url, port, close };
}
