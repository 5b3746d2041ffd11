/**
 * A reader for the raw HTTP transcripts recorded from Cog 0.16's server (test/contract/reference/*.txt, see its
 * README). Their format:
 *
 *   ######## A. group heading
 *   === [3] title
 *   > POST /predictions HTTP/1.1   (sent 2026-11-24T23:25:58.213+00:00)
 *   > Content-Type: application/json
 *   >
 *   > {"input": {"text": "too early"}}
 *   < HTTP/1.1 409 Conflict   (2.6 ms)
 *   < content-type: application/json
 *   <
 *   < {"detail":"Already running a prediction"}
 *   --- webhook/upload receiver: title (N requests, ...)
 *   [0] t=0.021 POST /hook  (content-type: application/json, user-agent: ...)
 *       {"input": ...}
 *   --- response received by the blocked sync POST /predictions (id sleep-e1): HTTP 200
 *   < {"input": ...}
 *
 *   const transcripts = readTranscripts(); // every file, parsed
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The recordings kept in the repository (test/contract/reference), or another copy. */
export const TRANSCRIPTS_DIR =
  process.env.COGTS_REFERENCE_TRANSCRIPTS ??
  join(dirname(fileURLToPath(import.meta.url)), "..", "contract", "reference");

export interface RecordedRequest {
  method: string;
  path: string;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** The raw body, undefined when none was sent. */
  body?: string;
  sentAt: string;
}

export interface RecordedBody {
  text: string;
  /** The recorder cut the body (`... [truncated, N bytes total]`): it is not complete JSON. */
  truncated: boolean;
  /** The parsed body when it is complete JSON. */
  json?: unknown;
}

export interface RecordedResponse extends RecordedBody {
  status: number;
  reason: string;
  headers: Record<string, string>;
}

/** A response that arrived later for a request of an earlier exchange (`--- response received by ...`). */
export interface LaterResponse extends RecordedBody {
  label: string;
  status: number;
}

export interface Exchange {
  file: string;
  number: number;
  title: string;
  /** The `######## ...` heading the exchange is under ("" before any). */
  group: string;
  request: RecordedRequest;
  response: RecordedResponse;
  later: LaterResponse[];
}

/** One request received by the recorder's webhook/upload receiver. */
export interface ReceivedRequest {
  index: number;
  /** Seconds since the receiver was reset. */
  t: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** JSON bodies as text; binary bodies as recorded (`<14 bytes> b'...'`); undefined for none. */
  body?: string;
  json?: unknown;
}

export interface ReceiverBlock {
  file: string;
  title: string;
  group: string;
  /** The number of the exchange the block follows. */
  after: number;
  requests: ReceivedRequest[];
}

export interface Transcript {
  file: string;
  /** The `# ...` lines at the top. */
  header: string[];
  exchanges: Exchange[];
  receivers: ReceiverBlock[];
}

function parseBody(text: string): RecordedBody {
  const truncated = /\.\.\. \[truncated, \d+ bytes total\]$/.test(text);
  const body: RecordedBody = { text, truncated };
  if (!truncated && text !== "") {
    try {
      body.json = JSON.parse(text);
    } catch {
      /* not JSON (HTML, plain text) */
    }
  }
  return body;
}

function parseHeaderList(list: string): Record<string, string> {
  const headers: Record<string, string> = {};
  // Values contain ", " too (user agents do not, but be safe): split only where a `name: ` follows.
  for (const part of list.split(/, (?=[A-Za-z][A-Za-z0-9-]*: )/)) {
    const colon = part.indexOf(": ");
    if (colon > 0) headers[part.slice(0, colon).toLowerCase()] = part.slice(colon + 2);
  }
  return headers;
}

const MARKER = /^(=== \[|--- |######## |# )/;

/** Parses one transcript file's text. */
export function parseTranscript(file: string, text: string): Transcript {
  const lines = text.split("\n");
  const transcript: Transcript = { file, header: [], exchanges: [], receivers: [] };
  let group = "";
  let i = 0;
  const fail = (message: string): never => {
    throw new Error(`${file}:${i + 1}: ${message}: ${JSON.stringify(lines[i])}`);
  };
  /** Reads `< body` (first line after the prefix) and continuation lines up to the next marker. */
  const readBody = (): string => {
    const parts = [lines[i]!.replace(/^< ?/, "")];
    i++;
    while (i < lines.length && !MARKER.test(lines[i]!) && !/^< /.test(lines[i]!)) parts.push(lines[i++]!);
    return parts.join("\n").replace(/\s+$/, "");
  };
  const lastNumber = () => transcript.exchanges.at(-1)?.number ?? 0;

  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith("######## ")) {
      group = line.slice(9).trim();
      i++;
    } else if (line.startsWith("# ") || line === "#") {
      if (transcript.exchanges.length === 0 && transcript.receivers.length === 0 && group === "")
        transcript.header.push(line.slice(2));
      i++;
    } else if (line.startsWith("=== [")) {
      const head = /^=== \[(\d+)\] (.*)$/.exec(line) ?? fail("bad exchange heading");
      i++;
      const requestLine =
        /^> (\S+) (\S+) HTTP\/1\.1\s+\(sent ([^)]+)\)$/.exec(lines[i] ?? "") ?? fail("expected a request line");
      i++;
      const request: RecordedRequest = {
        method: requestLine[1]!,
        path: requestLine[2]!,
        headers: {},
        sentAt: requestLine[3]!,
      };
      while (/^> [^ ]+: /.test(lines[i] ?? "") && !/^> [{[]/.test(lines[i]!)) {
        const [name, ...value] = lines[i]!.slice(2).split(": ");
        request.headers[name!.toLowerCase()] = value.join(": ");
        i++;
      }
      if (lines[i] === ">") {
        i++;
        const body: string[] = [];
        while (/^> /.test(lines[i] ?? "")) body.push(lines[i++]!.slice(2));
        request.body = body.join("\n");
      }
      const statusLine =
        /^< HTTP\/1\.1 (\d{3}) (.*?)\s+\([\d.]+ ms\)$/.exec(lines[i] ?? "") ?? fail("expected a status line");
      i++;
      const headers: Record<string, string> = {};
      while (/^< [^ ]+: /.test(lines[i] ?? "")) {
        const [name, ...value] = lines[i]!.slice(2).split(": ");
        headers[name!.toLowerCase()] = value.join(": ");
        i++;
      }
      if (lines[i] !== "<") fail("expected the blank line before the response body");
      i++;
      const body = /^< ?/.test(lines[i] ?? "") ? readBody() : "";
      transcript.exchanges.push({
        file,
        number: Number(head[1]),
        title: head[2]!,
        group,
        request,
        response: { status: Number(statusLine[1]), reason: statusLine[2]!, headers, ...parseBody(body) },
        later: [],
      });
    } else if (line.startsWith("--- response received by ")) {
      const head = /^--- (response received by .*): HTTP (\d{3})$/.exec(line) ?? fail("bad later-response heading");
      i++;
      const exchange = transcript.exchanges.at(-1) ?? fail("a later response before any exchange");
      exchange.later.push({ label: head[1]!, status: Number(head[2]), ...parseBody(readBody()) });
    } else if (line.startsWith("--- ")) {
      const block: ReceiverBlock = { file, title: line.slice(4), group, after: lastNumber(), requests: [] };
      i++;
      while (i < lines.length && /^\[\d+\] t=/.test(lines[i]!)) {
        const head = /^\[(\d+)\] t=([\d.]+) (\S+) (\S+)\s+\((.*)\)$/.exec(lines[i]!) ?? fail("bad receiver line");
        i++;
        const received: ReceivedRequest = {
          index: Number(head[1]),
          t: Number(head[2]),
          method: head[3]!,
          path: head[4]!,
          headers: parseHeaderList(head[5]!),
        };
        if (/^ {4}\S/.test(lines[i] ?? "")) {
          received.body = lines[i++]!.slice(4);
          try {
            received.json = JSON.parse(received.body);
          } catch {
            /* a binary upload body as the recorder printed it */
          }
        }
        block.requests.push(received);
      }
      transcript.receivers.push(block);
    } else if (line.trim() === "") {
      i++;
    } else {
      fail("unexpected line");
    }
  }
  return transcript;
}

/** Every transcript, parsed, in file order; throws when the directory is missing. */
export function readTranscripts(dir = TRANSCRIPTS_DIR): Transcript[] {
  if (!existsSync(dir))
    throw new Error(`the reference transcripts are not at ${dir} (set COGTS_REFERENCE_TRANSCRIPTS)`);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".txt"))
    .sort()
    .map((f) => parseTranscript(f, readFileSync(join(dir, f), "utf8")));
}

/** The exchange numbered `number` of the transcript whose file name starts with `prefix` (e.g. "01"). */
export function exchange(transcripts: Transcript[], prefix: string, number: number): Exchange {
  const transcript = transcripts.find((t) => t.file.startsWith(prefix)) ?? fail(`no transcript ${prefix}*`);
  return (
    transcript.exchanges.find((e) => e.number === number) ?? fail(`${transcript.file} has no exchange [${number}]`)
  );
}

function fail(message: string): never {
  throw new Error(message);
}
