/** The transcript reader on small hand-written transcripts: every construct of the format, and clear errors. */
import { describe, expect, it } from "vitest";
import { parseTranscript } from "../helpers/transcripts.js";

const SAMPLE = `# Predictor: sleep
# second header line

######## A. group one

=== [1] POST async
> POST /predictions HTTP/1.1   (sent 2026-11-24T23:27:09.281+00:00)
> Prefer: respond-async
> Content-Type: application/json
>
> {"id": "a1", "input": {"seconds": 3}}
< HTTP/1.1 202 Accepted   (25.1 ms)
< content-type: application/json
< content-length: 25
<
< {"id":"a1","status":"processing"}

=== [2] cancel, no request body
> POST /predictions/a1/cancel HTTP/1.1   (sent 2026-11-24T23:27:10.418+00:00)
< HTTP/1.1 200 OK   (2.5 ms)
< content-type: application/json
<
< {}

--- response received by the blocked sync POST /predictions (id a1): HTTP 200
< {"id":"a1","status":"canceled"}

--- webhook/upload receiver: webhooks for a1 (2 requests, in arrival order; t = seconds since receiver reset)
[0] t=0.021 POST /hook  (content-type: application/json, user-agent: cog-worker/0.16.12 python-requests/2.34.2, authorization: Bearer secret-token)
    {"id": "a1", "status": "processing"}
[1] t=0.008 PUT /upload/reversed.txt  (content-type: text/plain, x-prediction-id: a1)
    <14 bytes> b'iru atad olleh'
[2] t=2.079 GET /in/extra.bin  (user-agent: python-requests/2.34.2)

######## B. group two
# a comment inside a group

=== [3] docs
> GET /docs HTTP/1.1   (sent 2026-11-24T23:26:02.442+00:00)
< HTTP/1.1 200 OK   (0.6 ms)
< content-type: text/html; charset=utf-8
<
< 
    <!DOCTYPE html>
    <html>... [truncated, 927 bytes total]
`;

describe("parseTranscript", () => {
  const transcript = parseTranscript("sample.txt", SAMPLE);

  it("reads the header, the exchanges and their groups", () => {
    expect(transcript.header).toEqual(["Predictor: sleep", "second header line"]);
    expect(transcript.exchanges.map((e) => [e.number, e.group, e.title])).toEqual([
      [1, "A. group one", "POST async"],
      [2, "A. group one", "cancel, no request body"],
      [3, "B. group two", "docs"],
    ]);
  });

  it("reads requests with their headers and body, and requests without a body", () => {
    const [first, second] = transcript.exchanges;
    expect(first!.request).toEqual({
      method: "POST",
      path: "/predictions",
      headers: { prefer: "respond-async", "content-type": "application/json" },
      body: '{"id": "a1", "input": {"seconds": 3}}',
      sentAt: "2026-11-24T23:27:09.281+00:00",
    });
    expect(second!.request.body).toBeUndefined();
  });

  it("reads responses: status, headers, JSON bodies, and marks truncated ones", () => {
    const [first, , docs] = transcript.exchanges;
    expect(first!.response).toMatchObject({
      status: 202,
      reason: "Accepted",
      headers: { "content-type": "application/json", "content-length": "25" },
      truncated: false,
    });
    expect(first!.response.json).toEqual({ id: "a1", status: "processing" });
    expect(docs!.response.truncated).toBe(true);
    expect(docs!.response.json).toBeUndefined();
    expect(docs!.response.text).toContain("<!DOCTYPE html>");
  });

  it("attaches late responses to the exchange before them", () => {
    expect(transcript.exchanges[1]!.later).toEqual([
      {
        label: "response received by the blocked sync POST /predictions (id a1)",
        status: 200,
        text: '{"id":"a1","status":"canceled"}',
        truncated: false,
        json: { id: "a1", status: "canceled" },
      },
    ]);
  });

  it("reads receiver blocks: webhooks as JSON, uploads as recorded, downloads without a body", () => {
    expect(transcript.receivers).toHaveLength(1);
    const [block] = transcript.receivers;
    expect(block!.after).toBe(2);
    expect(block!.requests.map((r) => [r.method, r.path, r.t])).toEqual([
      ["POST", "/hook", 0.021],
      ["PUT", "/upload/reversed.txt", 0.008],
      ["GET", "/in/extra.bin", 2.079],
    ]);
    expect(block!.requests[0]!.headers).toEqual({
      "content-type": "application/json",
      "user-agent": "cog-worker/0.16.12 python-requests/2.34.2",
      authorization: "Bearer secret-token",
    });
    expect(block!.requests[0]!.json).toEqual({ id: "a1", status: "processing" });
    expect(block!.requests[1]!.body).toBe("<14 bytes> b'iru atad olleh'");
    expect(block!.requests[1]!.json).toBeUndefined();
    expect(block!.requests[2]!.body).toBeUndefined();
  });

  it("names the file, line and text of what it cannot read", () => {
    expect(() => parseTranscript("bad.txt", "=== [1] x\n> NOT A REQUEST\n")).toThrow(
      'bad.txt:2: expected a request line: "> NOT A REQUEST"',
    );
    expect(() =>
      parseTranscript("bad.txt", "=== [1] x\n> GET / HTTP/1.1   (sent t)\n< HTTP/1.1 200 OK   (1.0 ms)\n< {}\n"),
    ).toThrow('bad.txt:4: expected the blank line before the response body: "< {}"');
    expect(() => parseTranscript("bad.txt", "stray text\n")).toThrow('bad.txt:1: unexpected line: "stray text"');
  });
});
