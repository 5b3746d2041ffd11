/**
 * Real traffic against the real originals: the requests recorded from Cog's server running the Python predictors
 * of fixtures/schema/cog-reference/*.py.txt (copied into fixtures/predictors-python/; the recordings are
 * test/contract/reference/*.txt) are replayed against the cogts server
 * running those same predict.py files with the Python worker and the schema cogts reads from them. The answer must
 * be Cog's: HTTP status, prediction status, output, error and logs (422s: the same fields in error). Every answer is
 * also checked against the wire schemas (`replay` does that). Where the recorded Cog 0.16 differs from what
 * cogts does on purpose, the difference is named below (as test/conformance does for the TypeScript twins);
 * exchanges about URL inputs only (04 [2, 5-7]) and 0.16's `data:None` MIME type (04 [4]) are the server's,
 * language-independent, and pinned there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { locs, receiver, recorded, replay, type Served } from "../conformance/harness.js";
import { startPython } from "./helpers.js";

type Json = Record<string, unknown>;

/** Exchanges per predictor: [transcript prefix, exchange numbers]. */
const CASES: Record<string, [string, number[]][]> = {
  echo: [
    ["01", [6, 10, 11, 12, 15, 19, 20, 28]],
    ["07", [15]],
  ],
  numbers: [
    ["03", [1, 2, 3, 4]],
    ["07", [16]],
  ],
  object: [["03", [5, 6]]],
  iterator: [["03", [14, 15]]],
  sleep: [["03", [17, 18]]],
  logs: [["07", [12, 13, 14]]],
  files: [["04", [1, 3]]],
};

/**
 * 0.16 quirks cogts does not copy (docs/spec/typescript.md "Quirks of Cog not to copy"; test/conformance pins the same):
 * a falsy output ("" or 0.0) was sent as null; logs were split at \r and blank lines dropped, and stdout and
 * stderr lines interleave by arrival. Downloaded inputs were named tmpXXXXXXXX<name>; cogts keeps <name>.
 */
const FALSY_OUTPUT_AS_NULL = (expected: unknown, actual: unknown) =>
  expected === null && (actual === "" || actual === 0);
const logLines = (logs: string) =>
  logs
    .split(/[\r\n]+/)
    .map((line) => line.trim())
    .filter(Boolean)
    .sort();
const downloadName = (logs: string) => logs.replace(/\btmp[a-z0-9_]{8}(?=\w)/g, "");

/** Cog's traceback lines name its own files; the predictor's part of the logs is what must match. */
function predictorLogs(logs: unknown): string {
  return String(logs ?? "").split("Traceback (most recent call last):")[0]!;
}

function expectSameAnswer(answer: { status: number; json?: unknown }, prefix: string, number: number): void {
  const exchange = recorded(prefix, number);
  const expected = exchange.response.json as Json;
  expect(answer.status, `HTTP status of ${prefix} [${number}] ${exchange.title}`).toBe(exchange.response.status);
  const body = answer.json as Json;
  if (exchange.response.status === 422) {
    expect(locs(body)).toEqual(locs(expected));
    return;
  }
  expect(body.status).toBe(expected.status);
  if (!FALSY_OUTPUT_AS_NULL(expected.output, body.output)) expect(body.output).toEqual(expected.output);
  if (expected.status === "failed") expect(body.error).toBe(expected.error);
  expect(logLines(predictorLogs(body.logs))).toEqual(logLines(downloadName(predictorLogs(expected.logs))));
}

for (const [predictor, cases] of Object.entries(CASES)) {
  describe(`transcripts replayed against the original ${predictor}/predict.py`, () => {
    let server: Served;
    let files: Awaited<ReturnType<typeof receiver>> | undefined;
    beforeAll(async () => {
      if (predictor === "files") files = await receiver({ "hello.txt": "hello from the receiver\n" });
      server = await startPython(predictor);
    });
    afterAll(async () => {
      await server.stop();
      await files?.close();
    });

    for (const [prefix, numbers] of cases) {
      it.each(numbers)(`${prefix} [%i] answers as Cog did`, async (number) => {
        const answer = await replay(server, recorded(prefix, number), { receiver: files?.url });
        expectSameAnswer(answer, prefix, number);
      });
    }
  });
}

describe("transcripts replayed against the original setup_fail/predict.py", () => {
  it("07 [1] health reports the failed setup with the predictor's own output, and [3] predictions are refused", async () => {
    const server = await startPython("setup_fail", { waitFor: "SETUP_FAILED" });
    try {
      const health = await replay(server, recorded("07", 1));
      const expected = recorded("07", 1).response.json as { status: string; setup: { logs: string; status: string } };
      const setup = (health.json as typeof expected).setup;
      expect((health.json as typeof expected).status).toBe(expected.status);
      expect(setup.status).toBe(expected.setup.status);
      expect(logLines(predictorLogs(setup.logs))).toEqual(logLines(predictorLogs(expected.setup.logs)));
      expect(setup.logs).toContain("RuntimeError: setup exploded on purpose");
      // 0.16 answers 500 text/plain; 0.22 answers 503 (cog016-deviations.ts, prediction-after-setup-failure-500).
      expect((await replay(server, recorded("07", 3))).status).toBe(503);
    } finally {
      await server.stop();
    }
  });
});
