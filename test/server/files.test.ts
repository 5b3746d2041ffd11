import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "./helpers.js";
import { request } from "../helpers/http.js";
import { startReceiver } from "../helpers/receiver.js";

const PNG_BYTES = Buffer.from("fake png bytes");
const dataUrl = `data:image/png;base64,${PNG_BYTES.toString("base64")}`;
const expectedOut = Buffer.concat([Buffer.from("copy:"), PNG_BYTES]);

describe("files in and out", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("files");
  });
  afterAll(() => server.stop());

  it("takes a data: URL input and returns file outputs as data URLs with the MIME type from the extension", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { image: dataUrl, copies: 2 } } });
    expect(r.body.status).toBe("succeeded");
    const [png, weird] = r.body.output as string[];
    expect(png).toBe(`data:image/png;base64,${expectedOut.toString("base64")}`);
    expect(weird).toBe(`data:application/octet-stream;base64,${expectedOut.toString("base64")}`);
    expect(r.body.logs).toMatch(/^got file\.png 14 bytes/);
    const inputPath = /input at (\S+)/.exec(r.body.logs as string)![1]!;
    expect(existsSync(inputPath)).toBe(false);
  });

  it("gives a one-element array for a list output with one file, and a plain string for a single Path", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { image: dataUrl } } });
    expect(r.body.output).toHaveLength(1);
    const pathOut = await startServer("path_out");
    try {
      const single = await request(`${pathOut.url}/predictions`, { body: { input: { text: "plain" } } });
      expect(single.body.output).toBe(`data:text/plain;base64,${Buffer.from("plain").toString("base64")}`);
    } finally {
      await pathOut.stop();
    }
  });

  /** An origin that sends a few bytes of a large file, then nothing: a download from it would take until the timeout. */
  async function stallingOrigin() {
    const { createServer } = await import("node:http");
    let connected!: () => void;
    let closed!: () => void;
    const downloadConnected = new Promise<void>((resolve) => (connected = resolve));
    const downloadClosed = new Promise<void>((resolve) => (closed = resolve));
    const origin = createServer((req, res) => {
      req.socket.on("close", () => closed());
      res.writeHead(200, { "content-type": "image/png", "content-length": String(50 * 1024 * 1024) });
      res.write(Buffer.alloc(1024), () => connected());
    });
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(origin.address() as { port: number }).port}/big.png`;
    const close = () => {
      origin.closeAllConnections();
      origin.close();
    };
    return { url, downloadConnected, downloadClosed, close };
  }

  async function cancelDownload(id: string, url: string, before: () => Promise<void>) {
    const hook = await startReceiver();
    try {
      const created = await request(`${server.url}/predictions`, {
        body: { id, input: { image: url }, webhook: `${hook.url}/h`, webhook_events_filter: ["completed"] },
        headers: { prefer: "respond-async" },
      });
      expect(created.status).toBe(202);
      await before();
      expect((await request(`${server.url}/predictions/${id}/cancel`, { method: "POST" })).status).toBe(200);
      await hook.waitFor((got) => got.length > 0);
      expect(hook.received[0]!.json).toMatchObject({ id, status: "canceled" });
      await expect
        .poll(async () => (await request(`${server.url}/health-check`)).body.status, { timeout: 5000 })
        .toBe("READY");
      // The id is free again: the prediction ended (canceled) rather than waiting out the download.
      const again = await request(`${server.url}/predictions`, { body: { id, input: { image: dataUrl } } });
      expect(again.body.status).toBe("succeeded");
    } finally {
      await hook.close();
    }
  }

  it("a cancel during an input download stops the download and ends the prediction canceled", async () => {
    const origin = await stallingOrigin();
    try {
      // Canceled once the origin has sent its first bytes, so that there is a download in progress to stop (a
      // fixed wait raced the download's start on a busy machine: a cancel before it left no socket to close).
      await cancelDownload("cancel-download", origin.url, () => origin.downloadConnected);
      await origin.downloadClosed;
    } finally {
      origin.close();
    }
  });

  it("a cancel right after the request, before the download has connected, ends the prediction canceled too", async () => {
    const origin = await stallingOrigin();
    try {
      await cancelDownload("cancel-early", origin.url, async () => undefined);
    } finally {
      origin.close();
    }
  });

  it("downloads http(s) inputs, in arrays too, naming files after the URL's basename", async () => {
    const { createServer } = await import("node:http");
    const origin = createServer((req, res) => {
      if (req.url?.startsWith("/missing")) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "image/png" }).end(PNG_BYTES);
    });
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
    try {
      const r = await request(`${server.url}/predictions`, {
        body: {
          input: { image: `${base}/dir/photo.png?x=1`, extra: [`${base}/a/..%2F..%2Fetc%2Fpasswd`, `${base}/b.txt`] },
        },
      });
      expect(r.body.status).toBe("succeeded");
      expect(r.body.logs).toMatch(/^got photo\.png 14 bytes; extra _.._etc_passwd,b\.txt/);
      // Cog 0.22: an input file that cannot be downloaded fails the prediction, a 200 like any failed prediction.
      const missing = await request(`${server.url}/predictions`, { body: { input: { image: `${base}/missing.png` } } });
      expect(missing.status).toBe(200);
      expect(missing.body).toMatchObject({ status: "failed", error: expect.stringContaining("HTTP 404") });
    } finally {
      origin.closeAllConnections();
      origin.close();
    }
  });

  it("refuses local paths for Path inputs (a client cannot read the server's files)", async () => {
    const r = await request(`${server.url}/predictions`, { body: { input: { image: "/etc/passwd" } } });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({
      status: "failed",
      error: expect.stringContaining("is not an http://, https:// or data: URL"),
    });
    expect(r.text).not.toContain("root:");
  });

  it("fails cleanly on a malformed data URL or an unreachable host", async () => {
    expect(
      (await request(`${server.url}/predictions`, { body: { input: { image: "data:image/png;base64,@@@" } } })).status,
    ).toBe(422);
    const r = await request(`${server.url}/predictions`, { body: { input: { image: "http://127.0.0.1:1/x.png" } } });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("failed");
    expect(r.body.error).toMatch(/could not download/);
  });
});

describe("--upload-url", () => {
  it("PUTs each output file and returns the Location without its query string, sync and async", async () => {
    const uploads = await startReceiver((r) => ({
      status: 201,
      headers: { location: `https://cdn.example.com/u${r.url}?token=abc` },
    }));
    const server = await startServer("files", { args: ["--upload-url", `${uploads.url}/upload/`] });
    try {
      const r = await request(`${server.url}/predictions`, { body: { input: { image: dataUrl } } });
      expect(r.body).toMatchObject({ status: "succeeded", output: ["https://cdn.example.com/u/upload/out.png"] });
      expect(uploads.received[0]).toMatchObject({ method: "PUT", url: "/upload/out.png" });
      expect(uploads.received[0]!.headers["content-type"]).toBe("image/png");
      expect(uploads.received[0]!.body.equals(expectedOut)).toBe(true);

      const hook = await startReceiver();
      try {
        await request(`${server.url}/predictions`, {
          body: { input: { image: dataUrl }, webhook: `${hook.url}/h` },
          headers: { prefer: "respond-async" },
        });
        await hook.waitFor((got) => got.some((g) => g.json?.status === "succeeded"));
        expect(hook.received.find((g) => g.json?.status === "succeeded")!.json!.output).toEqual([
          "https://cdn.example.com/u/upload/out.png",
        ]);
      } finally {
        await hook.close();
      }
    } finally {
      await server.stop();
      await uploads.close();
    }
  });

  it("fails the prediction with the reason when an upload fails", async () => {
    const uploads = await startReceiver(() => ({ status: 500 }));
    const server = await startServer("files", { args: ["--upload-url", uploads.url] });
    try {
      const r = await request(`${server.url}/predictions`, { body: { input: { image: dataUrl } } });
      expect(r.body).toMatchObject({
        status: "failed",
        error: expect.stringMatching(/upload of out\.png .* failed: HTTP 500/),
      });
    } finally {
      await server.stop();
      await uploads.close();
    }
  });
});
