/**
 * Transcript 04 (Path inputs from data: and http: URLs, Path outputs as data URLs or uploads) replayed against the
 * cogts server started, like the recording, with --upload-url. Cog 0.22 uploads sync outputs too (0.16: only
 * async), so sync outputs come back as upload URLs here where the recording has data URLs; the data-URL
 * encoding itself is checked on a server without --upload-url.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectMatchesContract } from "../helpers/contract.js";
import { isTerminal, receiver, recorded, replay, serve, type Served } from "./harness.js";

type Body = Record<string, unknown>;
// What the recording's receiver served: "hello from url" + "+extra" is what the recorded output reverses.
const FILES = { "hello.txt": "hello from url", "extra.bin": "+extra" };

describe("transcript 04: files", () => {
  let plain: Served;
  let uploading: Served;
  let files: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => {
    files = await receiver(FILES);
    [plain, uploading] = await Promise.all([
      serve("files"),
      serve("files", { args: ["--upload-url", `${files.url}/upload/`] }),
    ]);
    await Promise.all([plain.waitFor("READY"), uploading.waitFor("READY")]);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), uploading?.stop()]);
    await files?.close();
  });

  it.each([1, 2, 3])("[%i] reads data: and http: inputs and returns the file as Cog's data URL", async (number) => {
    const exchange = recorded("04", number);
    const answer = await replay(plain, exchange, { receiver: files.url });
    expect(answer.status, answer.text).toBe(200);
    expectMatchesContract("prediction-response#/definitions/prediction", answer.json);
    const body = answer.json as Body;
    expect(body.output).toBe((exchange.response.json as Body).output);
    expect(body.logs).toMatch(/^read 14 chars from \S+\n$/);
  });

  it("[4] an unknown output extension is application/octet-stream (0.16: data:None)", async () => {
    const answer = await replay(plain, recorded("04", 4));
    expect(answer.status).toBe(200);
    expect((answer.json as Body).output).toBe("data:application/octet-stream;base64,aXJ1IGF0YWQgb2xsZWg=");
  });

  it.each([5, 6])("[%i] a Path input that is not a data: or http(s): URL is a 422", async (number) => {
    const answer = await replay(plain, recorded("04", number));
    expect(answer.status, answer.text).toBe(422);
    const body = answer.json as Body;
    if ("detail" in body) expectMatchesContract("validation-error", body);
    else expectMatchesContract("prediction-response#/definitions/inputFileError", body);
    expect(JSON.stringify(body)).toContain("document");
  });

  it("[7] an input URL that answers 404 is a failed prediction, HTTP 200 (0.22 and 0.16)", async () => {
    const answer = await replay(plain, recorded("04", 7), { receiver: files.url });
    expect(answer.status, answer.text).toBe(200);
    expectMatchesContract("prediction-response#/definitions/prediction", answer.json);
    expect((answer.json as Body).error).toMatch(/404/);
    expect((answer.json as Body).error).toContain("/in/missing.txt");
  });

  it("[8] async with --upload-url: the file is PUT to the upload URL and the webhook carries that URL", async () => {
    const exchange = recorded("04", 8);
    const answer = await replay(uploading, exchange, { receiver: files.url });
    expect(answer.status).toBe(202);
    expectMatchesContract("prediction-response#/definitions/accepted", answer.json);
    await files.waitFor(() => files.webhooks("files-async-1").some(isTerminal), "the completed webhook");
    const upload = files.hits.find((h) => h.method === "PUT" && h.url === "/upload/reversed.txt");
    expect(upload?.body.toString()).toBe("iru atad olleh");
    expect(upload?.headers["content-type"]).toMatch(/^text\/plain/);
    const webhooks = files.webhooks("files-async-1");
    for (const [i, webhook] of webhooks.entries()) expectMatchesContract("webhook-payload", webhook, `webhook #${i}`);
    expect(webhooks.at(-1)).toMatchObject({ status: "succeeded", output: `${files.url}/upload/reversed.txt` });
  });

  it("[9] sync with --upload-url uploads too (0.22); output_file_prefix is ignored", async () => {
    const answer = await replay(uploading, recorded("04", 9), { receiver: files.url });
    expect(answer.status).toBe(200);
    expectMatchesContract("prediction-response#/definitions/prediction", answer.json);
    expect((answer.json as Body).output).toBe(`${files.url}/upload/reversed.txt`);
    expect(files.hits.some((h) => h.url.startsWith("/prefix/"))).toBe(false);
  });
});
