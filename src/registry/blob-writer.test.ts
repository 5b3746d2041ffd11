import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { MockAgent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { BlobWriter, SessionLostError } from "./blob-writer.js";
import type { Blob } from "./blob-writer.js";
import { RegistryClient, RegistryHttpError } from "./client.js";

/**
 * Each step of the blob writer alone: against undici's MockAgent where only statuses and headers matter, and
 * against a small in-process registry (node:http, the distribution-spec upload state machine and nothing else)
 * where request bodies do. No engine, no real registry.
 */

const REPO = "owner/model";
const fast = { attempts: 3, baseDelayMs: 1 };
const sha = (data: Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

function blobOf(data: Buffer, label = "blob"): Blob {
  return {
    digest: sha(data),
    size: data.length,
    label,
    open: (start, end) => Readable.from([data.subarray(start, end)]),
  };
}

/** What a test may make the fake registry do instead of the spec'd answer: a status, for one request. */
type Fault = (req: IncomingMessage, index: number) => number | undefined;

/** The fake registry: HEAD/POST/PATCH/GET/PUT/DELETE on blobs and upload sessions, as distribution answers. */
class FakeRegistry {
  readonly blobs = new Map<string, Buffer>();
  readonly sessions = new Map<string, Buffer>();
  readonly log: string[] = [];
  fault?: Fault;
  refusePatch = false;
  minChunk?: number;
  private server?: Server;
  private next = 0;
  host = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const c of req) chunks.push(c as Buffer);
    } catch {
      return;
    }
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", `http://${this.host}`);
    this.log.push(
      `${req.method} ${url.pathname}${req.headers["content-range"] ? ` ${req.headers["content-range"]}` : ""}`,
    );
    const faulted = this.fault?.(req, this.log.length - 1);
    if (faulted) {
      res.writeHead(faulted).end();
      return;
    }
    const blob = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
    const upload = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(url.pathname);
    if (req.method === "HEAD" && blob) {
      res.writeHead(this.blobs.has(blob[2]!) ? 200 : 404).end();
      return;
    }
    if (!upload) {
      res.writeHead(404).end();
      return;
    }
    const id = upload[2]!;
    const location = (sid: string) => `/v2/${upload[1]}/blobs/uploads/${sid}?state=${this.next}`;
    const range = (data: Buffer) => `0-${data.length - 1}`;
    if (req.method === "POST") {
      const mount = url.searchParams.get("mount");
      if (mount && this.blobs.has(mount)) {
        res.writeHead(201).end();
        return;
      }
      const sid = `s${++this.next}`;
      this.sessions.set(sid, Buffer.alloc(0));
      res
        .writeHead(202, {
          location: location(sid),
          range: "0--1",
          ...(this.minChunk ? { "oci-chunk-min-length": String(this.minChunk) } : {}),
        })
        .end();
      return;
    }
    const held = this.sessions.get(id);
    if (!held) {
      res.writeHead(404).end();
      return;
    }
    if (req.method === "PATCH") {
      if (this.refusePatch) {
        res.writeHead(405).end();
        return;
      }
      const start = Number(/^(\d+)-/.exec(req.headers["content-range"] ?? "0-")?.[1] ?? 0);
      if (req.headers["content-range"] && start !== held.length) {
        res.writeHead(416, { range: range(held) }).end();
        return;
      }
      const now = Buffer.concat([held, body]);
      this.sessions.set(id, now);
      res.writeHead(202, { location: location(id), range: range(now) }).end();
      return;
    }
    if (req.method === "GET") {
      res.writeHead(204, { location: location(id), range: range(held) }).end();
      return;
    }
    if (req.method === "DELETE") {
      this.sessions.delete(id);
      res.writeHead(204).end();
      return;
    }
    if (req.method === "PUT") {
      const whole = Buffer.concat([held, body]);
      const digest = url.searchParams.get("digest");
      if (digest !== sha(whole)) {
        res.writeHead(400).end();
        return;
      }
      this.sessions.delete(id);
      this.blobs.set(digest, whole);
      res.writeHead(201, { location: `/v2/${upload[1]}/blobs/${digest}` }).end();
      return;
    }
    res.writeHead(405).end();
  }
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function fake(): Promise<FakeRegistry> {
  const registry = await new FakeRegistry().start();
  open.push(registry);
  return registry;
}

function writerFor(
  host: string,
  options: { chunkedThreshold?: number; chunkSize?: number; dispatcher?: MockAgent } = {},
): BlobWriter {
  const client = new RegistryClient(host, undefined, fast, options.dispatcher);
  open.push(client);
  return new BlobWriter(client, {
    repository: REPO,
    chunkedThreshold: options.chunkedThreshold ?? 1 << 30,
    chunkSize: options.chunkSize ?? 1 << 20,
  });
}

function mocked(): { agent: MockAgent; pool: ReturnType<MockAgent["get"]>; host: string } {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const host = "127.0.0.1:5999";
  return { agent, pool: agent.get(`http://${host}`), host };
}

describe("exists (HEAD)", () => {
  it("is true on 200, false on 404", async () => {
    const { agent, pool, host } = mocked();
    const data = randomBytes(10);
    pool.intercept({ method: "HEAD", path: `/v2/${REPO}/blobs/${sha(data)}` }).reply(200, "");
    pool.intercept({ method: "HEAD", path: `/v2/${REPO}/blobs/${sha(Buffer.alloc(1))}` }).reply(404, "");
    const writer = writerFor(host, { dispatcher: agent });
    expect(await writer.exists(sha(data), "Checking")).toBe(true);
    expect(await writer.exists(sha(Buffer.alloc(1)), "Checking")).toBe(false);
  });
});

describe("initiate (POST, mount)", () => {
  it("opens a session at the Location resolved against the request, with the registry's chunk limits", async () => {
    const { agent, pool, host } = mocked();
    pool.intercept({ method: "POST", path: `/v2/${REPO}/blobs/uploads/` }).reply(202, "", {
      headers: { location: "abc?_state=x", "oci-chunk-min-length": "1000", "oci-chunk-max-length": "5000" },
    });
    const session = await writerFor(host, { dispatcher: agent }).initiate(blobOf(randomBytes(4)));
    expect(session).toEqual({
      mounted: false,
      location: new URL(`http://${host}/v2/${REPO}/blobs/uploads/abc?_state=x`),
      minChunk: 1000,
      maxChunk: 5000,
    });
  });
  it("mounts from another repository on 201", async () => {
    const { agent, pool, host } = mocked();
    const blob = blobOf(randomBytes(4));
    pool
      .intercept({
        method: "POST",
        path: `/v2/${REPO}/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent("other/repo")}`,
      })
      .reply(201, "");
    expect(await writerFor(host, { dispatcher: agent }).initiate(blob, "other/repo")).toEqual({ mounted: true });
  });
  it("falls back to a plain session when the mount request is refused", async () => {
    const { agent, pool, host } = mocked();
    const blob = blobOf(randomBytes(4));
    pool.intercept({ method: "POST", path: (p) => p.includes("mount=") }).reply(400, "");
    pool
      .intercept({ method: "POST", path: `/v2/${REPO}/blobs/uploads/` })
      .reply(202, "", { headers: { location: "/up/1" } });
    expect(await writerFor(host, { dispatcher: agent }).initiate(blob, "other/repo")).toMatchObject({
      mounted: false,
      location: new URL(`http://${host}/up/1`),
    });
  });
});

describe("putWhole (monolithic PUT)", () => {
  it("sends the blob in one PUT with its digest and counts the bytes", async () => {
    const registry = await fake();
    const writer = writerFor(registry.host);
    const blob = blobOf(randomBytes(3000));
    const session = await writer.initiate(blob);
    if (session.mounted) throw new Error("not mounted");
    await writer.putWhole(blob, session.location);
    expect(registry.blobs.get(blob.digest)?.length).toBe(3000);
    expect(writer.uploadedBytes).toBe(3000);
  });
  it("turns another answer into a RegistryHttpError, without retrying the spent session", async () => {
    const registry = await fake();
    registry.fault = (req) => (req.method === "PUT" ? 500 : undefined);
    const writer = writerFor(registry.host);
    const blob = blobOf(randomBytes(100));
    const session = await writer.initiate(blob);
    if (session.mounted) throw new Error("not mounted");
    await expect(writer.putWhole(blob, session.location)).rejects.toBeInstanceOf(RegistryHttpError);
    expect(registry.log.filter((l) => l.startsWith("PUT"))).toHaveLength(1);
  });
});

describe("putChunked (PATCH with Range recovery)", () => {
  it("sends Content-Range chunks of the chunk size, raised to the registry's minimum, then commits", async () => {
    const registry = await fake();
    registry.minChunk = 400;
    const writer = writerFor(registry.host, { chunkSize: 300 });
    const data = randomBytes(1000);
    const blob = blobOf(data);
    const session = await writer.initiate(blob);
    if (session.mounted) throw new Error("not mounted");
    expect(await writer.putChunked(blob, session)).toBe("done");
    expect(registry.log.filter((l) => l.startsWith("PATCH")).map((l) => l.split(" ")[2])).toEqual([
      "0-399",
      "400-799",
      "800-999",
    ]);
    expect(registry.blobs.get(blob.digest)?.equals(data)).toBe(true);
  });
  it("after a failed chunk asks where the session stands (GET → Range) and resumes there", async () => {
    const registry = await fake();
    let failed = false;
    registry.fault = (req) => {
      if (req.method === "PATCH" && req.headers["content-range"] === "200-399" && !failed) {
        failed = true;
        return 503;
      }
      return undefined;
    };
    const writer = writerFor(registry.host, { chunkSize: 200 });
    const blob = blobOf(randomBytes(500));
    const session = await writer.initiate(blob);
    if (session.mounted) throw new Error("not mounted");
    expect(await writer.putChunked(blob, session)).toBe("done");
    expect(registry.log.filter((l) => /^(PATCH|GET)/.test(l)).map((l) => l.replace(/ \/v2\S+/, ""))).toEqual([
      "PATCH 0-199",
      "PATCH 200-399",
      "GET",
      "PATCH 200-399",
      "PATCH 400-499",
    ]);
    expect(registry.blobs.has(blob.digest)).toBe(true);
  });
  it("resumes at once after an out-of-order chunk (416)", async () => {
    const registry = await fake();
    let failed = false;
    registry.fault = (req) => (req.method === "PATCH" && !failed ? ((failed = true), 416) : undefined);
    const writer = writerFor(registry.host, { chunkSize: 200 });
    const blob = blobOf(randomBytes(300));
    const session = await writer.initiate(blob);
    if (session.mounted) throw new Error("not mounted");
    expect(await writer.putChunked(blob, session)).toBe("done");
    expect(registry.blobs.has(blob.digest)).toBe(true);
  });
  it("says the session is lost when the registry no longer knows it", async () => {
    const registry = await fake();
    registry.fault = (req) => (req.method === "PATCH" || req.method === "GET" ? 503 : undefined);
    const writer = writerFor(registry.host, { chunkSize: 200 });
    const blob = blobOf(randomBytes(300));
    const session = await writer.initiate(blob);
    if (session.mounted) throw new Error("not mounted");
    await expect(writer.putChunked(blob, session)).rejects.toBeInstanceOf(SessionLostError);
  });
  it("reports 'refused' when the registry does not take PATCH", async () => {
    const registry = await fake();
    registry.refusePatch = true;
    const writer = writerFor(registry.host, { chunkSize: 200 });
    const blob = blobOf(randomBytes(300));
    const session = await writer.initiate(blob);
    if (session.mounted) throw new Error("not mounted");
    expect(await writer.putChunked(blob, session)).toBe("refused");
  });
});

describe("commit (PUT ?digest=)", () => {
  it("closes a session with the digest as a query parameter, keeping the Location's own", async () => {
    const { agent, pool, host } = mocked();
    const blob = blobOf(randomBytes(8));
    pool.intercept({ method: "PUT", path: `/up/1?_state=x&digest=${encodeURIComponent(blob.digest)}` }).reply(201, "");
    await writerFor(host, { dispatcher: agent }).commit(blob, new URL(`http://${host}/up/1?_state=x`));
    agent.assertNoPendingInterceptors();
  });
});

describe("stream and commitStreamed", () => {
  it("sends the bytes as they are produced in one PATCH, then commits with the digest known at the end", async () => {
    const registry = await fake();
    const writer = writerFor(registry.host);
    const data = randomBytes(5000);
    const streamed = writer.stream();
    streamed.sink.write(data.subarray(0, 2000));
    streamed.sink.end(data.subarray(2000));
    expect(await writer.commitStreamed(blobOf(data), streamed)).toBe(true);
    expect(registry.blobs.get(sha(data))?.equals(data)).toBe(true);
    expect(registry.log.filter((l) => l.startsWith("PATCH"))).toHaveLength(1);
    expect(writer.uploadedBytes).toBe(5000);
  });
  it("gives false when the upload failed, so the blob is sent the ordinary way", async () => {
    const registry = await fake();
    registry.fault = (req) => (req.method === "PATCH" ? 400 : undefined);
    const writer = writerFor(registry.host);
    const data = randomBytes(100);
    const streamed = writer.stream();
    streamed.sink.end(data);
    expect(await writer.commitStreamed(blobOf(data), streamed)).toBe(false);
  });
  it("gives false when the producer failed midway", async () => {
    const registry = await fake();
    const writer = writerFor(registry.host);
    const streamed = writer.stream();
    streamed.sink.write(randomBytes(100));
    streamed.sink.destroy(new Error("layer failed"));
    expect(await writer.commitStreamed(blobOf(randomBytes(100)), streamed)).toBe(false);
  });
});

describe("uploadOne (the retry loop)", () => {
  it("skips a blob the registry has, mounts one another repository has, uploads the rest", async () => {
    const registry = await fake();
    const writer = writerFor(registry.host);
    const present = randomBytes(10);
    registry.blobs.set(sha(present), present);
    expect(await writer.uploadOne(blobOf(present))).toBe("exists");
    const mountable = randomBytes(20);
    registry.fault = (req) => (req.method === "HEAD" ? 404 : undefined);
    registry.blobs.set(sha(mountable), mountable);
    expect(await writer.uploadOne(blobOf(mountable), () => "other/repo")).toBe("mounted");
    registry.fault = undefined;
    const fresh = blobOf(randomBytes(30));
    expect(await writer.uploadOne(fresh)).toBe("uploaded");
    expect(registry.blobs.has(fresh.digest)).toBe(true);
  });
  it("starts a new session after a failed whole-blob PUT", async () => {
    const registry = await fake();
    let puts = 0;
    registry.fault = (req) => (req.method === "PUT" && ++puts === 1 ? 502 : undefined);
    const blob = blobOf(randomBytes(50));
    expect(await writerFor(registry.host).uploadOne(blob)).toBe("uploaded");
    expect(registry.log.filter((l) => l.startsWith("POST"))).toHaveLength(2);
  });
  it("gives up after the policy's attempts", async () => {
    const registry = await fake();
    registry.fault = (req) => (req.method === "PUT" ? 500 : undefined);
    await expect(writerFor(registry.host).uploadOne(blobOf(randomBytes(50)))).rejects.toBeInstanceOf(RegistryHttpError);
    expect(registry.log.filter((l) => l.startsWith("POST"))).toHaveLength(fast.attempts);
  });
  it("sends big blobs in chunks, and whole once the registry refused chunking (cancelling that session)", async () => {
    const registry = await fake();
    const writer = writerFor(registry.host, { chunkedThreshold: 100, chunkSize: 100 });
    const first = blobOf(randomBytes(250));
    expect(await writer.uploadOne(first)).toBe("uploaded");
    expect(registry.log.filter((l) => l.startsWith("PATCH"))).toHaveLength(3);
    registry.refusePatch = true;
    const second = blobOf(randomBytes(250));
    expect(await writer.uploadOne(second)).toBe("uploaded");
    expect(registry.log.some((l) => l.startsWith("DELETE"))).toBe(true);
    expect(registry.blobs.has(second.digest)).toBe(true);
    const patches = registry.log.filter((l) => l.startsWith("PATCH")).length;
    expect(await writer.uploadOne(blobOf(randomBytes(250)))).toBe("uploaded");
    expect(registry.log.filter((l) => l.startsWith("PATCH"))).toHaveLength(patches);
  });
});
