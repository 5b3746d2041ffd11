/**
 * A web page cannot start a prediction, cancel one or stop the server cross-site (issue 14, item 19): a browser
 * sends a POST without a CORS preflight only with a form or text/plain type (or none, from a Blob or no body), so
 * POST and PUT bodies must be JSON. Cog's own clients and curl send no type at all: those are still taken.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contractForResponse, expectMatchesContract } from "../helpers/contract.js";
import type { RunningServer } from "../server/helpers.js";
import { startReady } from "./helpers.js";

interface Sent {
  status: number;
  body: Record<string, unknown>;
}

async function send(
  server: RunningServer,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Uint8Array,
): Promise<Sent> {
  const r = await fetch(`${server.url}${path}`, { method, headers, body, signal: AbortSignal.timeout(30_000) });
  const text = await r.text();
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (r.status === 415) {
    expect(r.headers.get("content-type")).toBe("application/json");
    expectMatchesContract(
      contractForResponse({ method, path, status: 415, body: parsed })!,
      parsed,
      `${method} ${path} 415`,
    );
  }
  return { status: r.status, body: parsed };
}

describe("POST bodies must be JSON", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startReady("sleep");
  });
  afterAll(async () => {
    await server.stop();
  });

  it("refuses a text/plain or form prediction with 415 and a clear message", async () => {
    const body = JSON.stringify({ input: { seconds: 0 } });
    for (const type of [
      "text/plain",
      "text/plain;charset=UTF-8",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/jsonx",
      "json",
    ]) {
      const r = await send(server, "POST", "/predictions", { "content-type": type }, body);
      expect(r.status, type).toBe(415);
      expect(r.body.error).toMatch(/Content-Type: application\/json/);
    }
    const put = await send(server, "PUT", "/predictions/cross-site", { "content-type": "text/plain" }, body);
    expect(put.status).toBe(415);
    const async = await send(
      server,
      "POST",
      "/predictions",
      { "content-type": "text/plain", prefer: "respond-async" },
      body,
    );
    expect(async.status).toBe(415);
  });

  it("refuses a text/plain /shutdown, with or without a body, and keeps serving", async () => {
    for (const body of [undefined, "", "{}"]) {
      const r = await send(server, "POST", "/shutdown", { "content-type": "text/plain" }, body);
      expect(r.status).toBe(415);
    }
    const form = await send(server, "POST", "/shutdown", { "content-type": "application/x-www-form-urlencoded" }, "");
    expect(form.status).toBe(415);
    expect(server.process.exitCode).toBeNull();
    expect((await server.health()).status).toBe("READY");
  });

  it("refuses a text/plain cancel", async () => {
    const started = await send(
      server,
      "PUT",
      "/predictions/to-cancel",
      { "content-type": "application/json", prefer: "respond-async" },
      JSON.stringify({ input: { seconds: 5 } }),
    );
    expect(started.status).toBe(202);
    const r = await send(server, "POST", "/predictions/to-cancel/cancel", { "content-type": "text/plain" }, "");
    expect(r.status).toBe(415);
    const ok = await send(server, "POST", "/predictions/to-cancel/cancel", {});
    expect(ok.status).toBe(200);
    await server.waitFor("READY");
  });

  it("refuses a body without a type that a browser sent (Origin or Sec-Fetch-Site)", async () => {
    const body = new TextEncoder().encode(JSON.stringify({ input: { seconds: 0 } }));
    const fromPage = await send(server, "POST", "/predictions", { origin: "https://attacker.example" }, body);
    expect(fromPage.status).toBe(415);
    expect(fromPage.body.error).toMatch(/web page/);
    const crossSite = await send(server, "POST", "/predictions", { "sec-fetch-site": "cross-site" }, body);
    expect(crossSite.status).toBe(415);
    const shutdown = await send(server, "POST", "/shutdown", { origin: "null" });
    expect(shutdown.status).toBe(415);
    expect(server.process.exitCode).toBeNull();
  });

  it("takes JSON with parameters or another case, and bodies without a type as Cog's clients send them", async () => {
    const body = JSON.stringify({ input: { seconds: 0 } });
    for (const type of [
      "application/json",
      "application/json; charset=utf-8",
      "Application/JSON;charset=UTF-8",
      "application/merge-patch+json",
    ]) {
      const r = await send(server, "POST", "/predictions", { "content-type": type }, body);
      expect(r.status, type).toBe(200);
      expect(r.body.status).toBe("succeeded");
    }
    // Recorded from Cog: a JSON body with no Content-Type, and a POST with no body at all.
    const untyped = await send(
      server,
      "POST",
      "/predictions",
      {},
      new TextEncoder().encode(JSON.stringify({ input: { seconds: 0, steps: 2 } })),
    );
    expect(untyped.status).toBe(200);
    expect(untyped.body.logs).toContain("step 2/2");
    const empty = await send(server, "POST", "/predictions", {});
    expect(empty.status).toBe(200);
    expect(empty.body.status).toBe("succeeded");
    const emptyJson = await send(server, "POST", "/predictions", { "content-type": "application/json" }, "");
    expect(emptyJson.status).toBe(200);
  });
});
