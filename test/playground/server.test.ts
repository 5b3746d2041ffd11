import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDistBuilt } from "../helpers/dist.js";
import { loadAssets } from "../../src/playground/assets.js";
import { startPlayground, type Playground } from "../../src/playground/index.js";
import { canOpenBrowser } from "../../src/playground/open-browser.js";
import { cog, PLAYGROUND_FIXTURES, type CogProcess } from "./helpers.js";

/** The exit code of a command expected to end by itself (bounded: a hang fails the test). */
async function exitCode(p: CogProcess): Promise<number | null> {
  if (p.process.exitCode === null) await new Promise((r) => p.process.once("exit", r));
  return p.process.exitCode;
}

function get(
  url: string,
  headers: Record<string, string>,
  method = "GET",
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the playground's server", () => {
  let target: Server;
  let targetUrl: string;
  let playground: Playground;
  const seen: Record<string, unknown>[] = [];

  beforeAll(async () => {
    target = createServer((req, res) => {
      seen.push({ url: req.url, method: req.method, ...req.headers });
      res.writeHead(200, { "content-type": "application/json", "set-cookie": "session=1" });
      res.end(JSON.stringify({ status: "READY" }));
    });
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
    playground = await startPlayground({ target: targetUrl, port: 0 });
  });
  afterAll(async () => {
    await playground?.close();
    await new Promise((r) => target?.close(r));
  });

  it("serves the page and proxies /api/ to the target without the browser's cookies and credentials", async () => {
    expect(playground.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get(playground.url, {});
    expect(page.status).toBe(200);
    expect(page.body).toContain("<title>Cog playground</title>");
    expect(String(page.headers["content-security-policy"])).toContain("default-src 'self'");
    const api = await get(`${playground.url}api/health-check?x=1`, {
      cookie: "a=b",
      authorization: "Bearer t",
      "x-custom": "kept",
    });
    expect(api.status).toBe(200);
    expect(JSON.parse(api.body)).toEqual({ status: "READY" });
    expect(api.headers["set-cookie"]).toBeUndefined();
    const forwarded = seen.at(-1)!;
    expect(forwarded).toMatchObject({ url: "/health-check?x=1", method: "GET", "x-custom": "kept" });
    expect(forwarded.cookie).toBeUndefined();
    expect(forwarded.authorization).toBeUndefined();
    expect(JSON.parse((await get(`${playground.url}config.json`, {})).body)).toEqual({
      target: targetUrl.replace(/\/$/, ""),
    });
  });

  it("refuses requests from another site and Host names that are not this machine (DNS rebinding)", async () => {
    const before = seen.length;
    const crossSite = await get(
      `${playground.url}api/predictions`,
      { origin: "https://evil.example", "content-type": "application/json" },
      "POST",
    );
    expect(crossSite.status).toBe(403);
    const fetchMeta = await get(`${playground.url}api/health-check`, { "sec-fetch-site": "cross-site" });
    expect(fetchMeta.status).toBe(403);
    const rebound = await get(`${playground.url}api/health-check`, { host: `evil.example:${playground.port}` });
    expect(rebound.status).toBe(403);
    expect(seen.length).toBe(before);
    const sameOrigin = await get(`${playground.url}api/health-check`, { origin: playground.url.replace(/\/$/, "") });
    expect(sameOrigin.status).toBe(200);
  });

  it("answers 502 with the target's address when the model server is down", async () => {
    const down = await startPlayground({ target: "http://127.0.0.1:9", port: 0 });
    try {
      const answer = await get(`${down.url}api/health-check`, {});
      expect(answer.status).toBe(502);
      expect(JSON.parse(answer.body).error).toContain("cannot reach the model server at http://127.0.0.1:9");
    } finally {
      await down.close();
    }
  });

  it("ships a small page that loads nothing from elsewhere", () => {
    const assets = loadAssets();
    const names = [...assets.keys()].sort();
    expect(names).toEqual([
      "/assets/api.js",
      "/assets/app.js",
      "/assets/dom.js",
      "/assets/form.js",
      "/assets/output.js",
      "/assets/share.js",
      "/assets/style.css",
      "/index.html",
    ]);
    const gzipped = [...assets.values()].reduce((sum, asset) => sum + gzipSync(asset.body, { level: 9 }).length, 0);
    // docs/playground.md states the figure; the budget keeps it honest.
    expect(gzipped).toBeLessThan(20_000);
    for (const [name, asset] of assets) {
      const text = asset.body.toString();
      expect(text, name).not.toMatch(/(src|href)=["']https?:|@import|url\(\s*["']?https?:|fonts\.googleapis|cdn\./i);
    }
  });

  it("never tries to open a browser in CI or without a display", () => {
    expect(canOpenBrowser({ CI: "true", DISPLAY: ":0" }, "linux")).toBe(false);
    expect(canOpenBrowser({}, "linux")).toBe(false);
    expect(canOpenBrowser({ DISPLAY: ":0" }, "linux")).toBe(true);
  });
});

describe("cog playground's command line", () => {
  // Compiling dist/ can take longer than a test on a busy machine: done (when needed) before the tests.
  beforeAll(ensureDistBuilt);

  it("refuses a target that is not an http(s) URL, and a bad port, with exit code 2", async () => {
    const bad = await cog(["playground", "--target", "ftp://example/", "--no-open"], PLAYGROUND_FIXTURES);
    expect(await exitCode(bad)).toBe(2);
    expect(bad.stderr()).toContain("--target must be an http:// or https:// URL");
    const port = await cog(["playground", "-p", "web", "--no-open"], PLAYGROUND_FIXTURES);
    expect(await exitCode(port)).toBe(2);
    expect(port.stderr()).toContain("--port must be a port number");
  });

  it("says which port is taken, with exit code 1", async () => {
    const busy = await startPlayground({ target: "http://127.0.0.1:9", port: 0 });
    try {
      const second = await cog(["playground", "-p", String(busy.port), "--no-open"], PLAYGROUND_FIXTURES);
      expect(await exitCode(second)).toBe(1);
      expect(second.stderr()).toContain(`port ${busy.port} on 127.0.0.1 is in use`);
    } finally {
      await busy.close();
    }
  });
});
