/**
 * The input-file size limit (COGTS_MAX_INPUT_FILE_BYTES) applies to a request's files together (issue 14, item
 * 13): a limit per file let one request with many files, each just under it, fill the disk.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer } from "../server/helpers.js";
import { request } from "../helpers/http.js";
import { startReady } from "./helpers.js";

const LIMIT = 1000;

function dataUrl(bytes: number): string {
  return `data:application/octet-stream;base64,${Buffer.alloc(bytes, 7).toString("base64")}`;
}

describe("the input-file limit per request", () => {
  let server: RunningServer;
  let files: Server;
  let filesUrl: string;
  beforeAll(async () => {
    // Serves /N as N bytes.
    files = createServer((req, res) => {
      const size = Number(req.url!.slice(1).split(".")[0]);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
      res.end(Buffer.alloc(size, 1));
    });
    await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
    filesUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
    server = await startReady("files", { env: { COGTS_MAX_INPUT_FILE_BYTES: String(LIMIT) } });
  });
  afterAll(async () => {
    await server.stop();
    files.closeAllConnections();
    await new Promise((resolve) => files.close(resolve));
  });

  it("refuses data URLs that are each under the limit but together over it", async () => {
    const r = await request(`${server.url}/predictions`, {
      body: { input: { image: dataUrl(600), extra: [dataUrl(600)] } },
    });
    expect(r.status).toBe(422);
    expect(r.body.status).toBe("failed");
    expect(r.body.error).toMatch(/input files of this request past the 1000-byte limit/);
  });

  it("refuses downloads that are each under the limit but together over it", async () => {
    const extra = Array.from({ length: 5 }, (_, i) => `${filesUrl}/300.${i}.bin`);
    const r = await request(`${server.url}/predictions`, { body: { input: { image: `${filesUrl}/300.bin`, extra } } });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatch(/past the 1000-byte limit for input files/);
  });

  it("takes files that together fit", async () => {
    const r = await request(`${server.url}/predictions`, {
      body: { input: { image: dataUrl(400), extra: [`${filesUrl}/400.bin`] } },
    });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("succeeded");
    expect(r.body.logs).toMatch(/got file\S* 400 bytes; extra 400.bin/);
  });
});
