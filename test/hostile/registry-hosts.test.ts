/**
 * A hostile or misbehaving registry, on real HTTP: two fake hosts (127.0.0.1 and 127.0.0.2) tell apart where
 * credentials go. cogts sends a registry's credentials to that registry only; a token realm gets what the token
 * protocol asks for; addresses that are not http(s), malformed token answers and oversized bodies are clear errors.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RegistryClient } from "../../src/registry/client.js";
import { inspectRemoteImage } from "../../src/registry/inspect.js";
import { UserError } from "../../src/errors.js";

interface Seen {
  host: string;
  method: string;
  url: string;
  authorization?: string;
}
type Handler = (req: IncomingMessage, res: ServerResponse, host: FakeHost) => void;
interface FakeHost {
  origin: string;
  host: string;
  seen: Seen[];
  handle: Handler;
  server: Server;
}

const hosts: FakeHost[] = [];

/** A node:http server on `address` that records every request and answers with `handle`. */
async function fakeHost(address: string, handle: Handler): Promise<FakeHost> {
  const fake = { seen: [] as Seen[], handle } as FakeHost;
  fake.server = createServer((req, res) => {
    fake.seen.push({
      host: fake.host,
      method: req.method ?? "",
      url: req.url ?? "",
      authorization: req.headers.authorization,
    });
    req.resume();
    req.on("end", () => fake.handle(req, res, fake));
  });
  await new Promise<void>((resolve) => fake.server.listen(0, address, resolve));
  fake.host = `${address}:${(fake.server.address() as AddressInfo).port}`;
  fake.origin = `http://${fake.host}`;
  hosts.push(fake);
  return fake;
}

afterEach(async () => {
  for (const h of hosts.splice(0)) {
    h.server.closeAllConnections();
    await new Promise<void>((resolve) => h.server.close(() => resolve()));
  }
});

const CREDENTIALS = { username: "alice", password: "s3cret-password" };
const BASIC = `Basic ${Buffer.from("alice:s3cret-password").toString("base64")}`;
const reply = (res: ServerResponse, status: number, headers: Record<string, string> = {}, body = "") => {
  res.writeHead(status, headers);
  res.end(body);
};
const fastRetry = { attempts: 3, baseDelayMs: 10 };

/** A registry that wants Basic credentials and hands uploads (and blob reads) to `elsewhere`. */
function basicRegistry(elsewhere: () => string): Handler {
  return (req, res) => {
    if (req.headers.authorization !== BASIC) return reply(res, 401, { "www-authenticate": 'Basic realm="fake"' });
    if (req.method === "POST") return reply(res, 202, { location: `${elsewhere()}/upload/1?state=x` });
    if (req.url === "/v2/") return reply(res, 200, {}, "{}");
    reply(res, 404);
  };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe("registry credentials go only to the registry", () => {
  it("sends no Authorization to an upload Location on another host", async () => {
    const storage = await fakeHost("127.0.0.2", (_req, res) => reply(res, 201));
    const registry = await fakeHost(
      "127.0.0.1",
      basicRegistry(() => storage.origin),
    );
    const client = new RegistryClient(registry.host, CREDENTIALS, fastRetry);
    try {
      const session = await client.request(
        { method: "POST", url: "/v2/me/model/blobs/uploads/", headers: { "content-length": "0" } },
        "Starting",
        [202],
      );
      const location = new URL(session.headers.location as string, session.url);
      const put = await client.send(
        { method: "PUT", url: location, headers: { "content-length": "3" }, body: () => Buffer.from("abc") },
        "Uploading",
      );
      expect(put.status).toBe(201);
    } finally {
      await client.close();
    }
    expect(registry.seen.some((s) => s.authorization === BASIC)).toBe(true);
    expect(storage.seen).toHaveLength(1);
    expect(storage.seen[0]!.authorization).toBeUndefined();
  });

  it("never gives the registry's bearer token to another host, and does not answer another host's challenge", async () => {
    let tokenRequests = 0;
    const tokens = await fakeHost("127.0.0.2", (_req, res) => {
      tokenRequests++;
      reply(
        res,
        200,
        { "content-type": "application/json" },
        JSON.stringify({ token: "registry-bearer-token", expires_in: 300 }),
      );
    });
    const storage = await fakeHost("127.0.0.2", (_req, res) =>
      reply(res, 401, { "www-authenticate": `Bearer realm="${tokens.origin}/token",service="evil"` }),
    );
    const registry = await fakeHost("127.0.0.1", (req, res) => {
      if (req.headers.authorization !== "Bearer registry-bearer-token")
        return reply(res, 401, { "www-authenticate": `Bearer realm="${tokens.origin}/token",service="fake"` });
      if (req.method === "POST") return reply(res, 202, { location: `${storage.origin}/upload/1` });
      reply(res, 200, {}, "{}");
    });
    const client = new RegistryClient(registry.host, CREDENTIALS, fastRetry);
    let err: Error;
    try {
      await client.ping();
      const session = await client.request(
        { method: "POST", url: "/v2/me/model/blobs/uploads/", headers: { "content-length": "0" } },
        "Starting",
        [202],
      );
      err = await failure(
        client.send(
          { method: "PUT", url: new URL(session.headers.location as string), body: () => "abc" },
          "Uploading a layer",
        ),
      );
    } finally {
      await client.close();
    }
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(
      /Uploading a layer: 127\.0\.0\.2:\d+, where the registry .* sent cogts, asks for credentials/,
    );
    expect(storage.seen.map((s) => s.authorization)).toEqual([undefined]);
    // The realm got the Basic credentials the token protocol asks for, once: not again for the other host's challenge.
    expect(tokenRequests).toBe(1);
    expect(tokens.seen[0]!.authorization).toBe(BASIC);
    expect(registry.seen.at(-1)!.authorization).toBe("Bearer registry-bearer-token");
  });

  it("follows a blob redirect to storage without credentials, and keeps them on a redirect within the registry", async () => {
    const config = JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Labels: { "run.cog.version": "x" } },
    });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: "sha256:c", size: config.length },
      layers: [],
    });
    const storage = await fakeHost("127.0.0.2", (_req, res) => reply(res, 200, {}, config));
    const registry = await fakeHost("127.0.0.1", (req, res) => {
      if (req.headers.authorization !== BASIC) return reply(res, 401, { "www-authenticate": 'Basic realm="fake"' });
      if (req.url?.startsWith("/v2/me/model/manifests/v1"))
        return reply(res, 307, { location: "/v2/me/model/manifests/moved" });
      if (req.url?.startsWith("/v2/me/model/manifests/"))
        return reply(res, 200, { "content-type": "application/vnd.oci.image.manifest.v1+json" }, manifest);
      if (req.url?.startsWith("/v2/me/model/blobs/"))
        return reply(res, 307, { location: `${storage.origin}/bucket/c?signature=1` });
      reply(res, 404);
    });
    const image = await inspectRemoteImage(`${registry.host}/me/model:v1`, { credentials: CREDENTIALS });
    expect(image.labels["run.cog.version"]).toBe("x");
    expect(registry.seen.filter((s) => s.url === "/v2/me/model/manifests/moved").map((s) => s.authorization)).toEqual([
      BASIC,
    ]);
    expect(storage.seen.map((s) => s.authorization)).toEqual([undefined]);
  });
});

describe("addresses and answers a registry cannot make cogts misuse", () => {
  it("refuses a file: upload Location with a clear error", async () => {
    const registry = await fakeHost(
      "127.0.0.1",
      basicRegistry(() => "file:///etc/passwd#"),
    );
    const client = new RegistryClient(registry.host, CREDENTIALS, fastRetry);
    try {
      const session = await client.request(
        { method: "POST", url: "/v2/me/model/blobs/uploads/", headers: { "content-length": "0" } },
        "Starting",
        [202],
      );
      const err = await failure(
        client.request(
          { method: "PUT", url: new URL(session.headers.location as string, session.url), body: () => "abc" },
          "Uploading a layer",
          [201],
        ),
      );
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toMatch(
        /Uploading a layer: the registry .* sent the address "file:\/\/\/etc\/passwd.*which is not http or https/,
      );
    } finally {
      await client.close();
    }
  });

  it("refuses a file: token realm with a clear error", async () => {
    const registry = await fakeHost("127.0.0.1", (_req, res) =>
      reply(res, 401, { "www-authenticate": 'Bearer realm="file:///etc/passwd",service="x"' }),
    );
    const client = new RegistryClient(registry.host, CREDENTIALS, fastRetry);
    try {
      const err = await failure(client.ping());
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toMatch(/file:\/\/\/etc\/passwd.*not http or https/);
    } finally {
      await client.close();
    }
  });

  it("reports a token server's truncated JSON once, without retrying it as a network error", async () => {
    const tokens = await fakeHost("127.0.0.2", (_req, res) =>
      reply(res, 200, { "content-type": "application/json" }, '{"token": "abc'),
    );
    const registry = await fakeHost("127.0.0.1", (_req, res) =>
      reply(res, 401, { "www-authenticate": `Bearer realm="${tokens.origin}/token",service="x"` }),
    );
    const client = new RegistryClient(registry.host, CREDENTIALS, { attempts: 4, baseDelayMs: 10 });
    try {
      const err = await failure(client.ping());
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toMatch(/token server .* not valid JSON/);
    } finally {
      await client.close();
    }
    expect(tokens.seen).toHaveLength(1);
  });

  it("stops reading a huge answer at its bound instead of growing memory", async () => {
    const chunk = Buffer.alloc(1 << 20, 0x61);
    const endless = (res: ServerResponse) => {
      res.writeHead(200, { "content-type": "application/json" });
      let sent = 0;
      const more = () => {
        // 256 MiB at most, so a client that reads it all still ends; cogts must stop long before.
        while (sent < 256 && res.write(chunk)) sent++;
        if (sent >= 256) res.end();
        else
          res.once("drain", () => {
            sent++;
            more();
          });
      };
      more();
    };
    const tokens = await fakeHost("127.0.0.2", (_req, res) => endless(res));
    const registry = await fakeHost("127.0.0.1", (req, res) => {
      if (req.url === "/v2/") return endless(res);
      reply(res, 401, { "www-authenticate": `Bearer realm="${tokens.origin}/token",service="x"` });
    });
    const before = process.memoryUsage().rss;
    const started = Date.now();
    const client = new RegistryClient(registry.host, CREDENTIALS, fastRetry);
    try {
      const err = await failure(client.ping());
      expect(err.message).toMatch(/Checking the registry .*larger than \d+ bytes/);
      const manifest = await failure(
        client.request({ method: "GET", url: "/v2/me/model/manifests/v1" }, "Reading the manifest"),
      );
      expect(manifest.message).toMatch(/token.*larger than \d+ bytes/i);
    } finally {
      await client.close();
    }
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(process.memoryUsage().rss - before).toBeLessThan(128 << 20);
  }, 30_000);
});
