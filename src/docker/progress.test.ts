import { describe, expect, it } from "vitest";
import { decodeTrace } from "./buildkit-trace.js";
import { createProgress, parseProgressMode } from "./progress.js";
import { UsageError } from "../errors.js";

/** A minimal protobuf writer, enough to encode StatusResponse messages the way BuildKit does. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const field = (number: number, bytes: number[] | string): number[] => {
  const body = typeof bytes === "string" ? [...Buffer.from(bytes)] : bytes;
  return [...varint(number * 8 + 2), ...varint(body.length), ...body];
};
const flag = (number: number, value: number): number[] => [...varint(number * 8), ...varint(value)];
const timestamp = (ms: number) => [...flag(1, Math.floor(ms / 1000)), ...flag(2, (ms % 1000) * 1e6)];

function trace(parts: number[][]): string {
  return Buffer.from(parts.flat()).toString("base64");
}

const vertex = (digest: string, name: string, extra: number[] = []) =>
  field(1, [...field(1, digest), ...field(3, name), ...extra]);

describe("BuildKit trace decoding", () => {
  it("reads vertexes, their times, cache state, errors and logs, skipping unknown fields", () => {
    const update = decodeTrace(
      trace([
        vertex("sha256:a", "[1/2] RUN npm ci", [
          ...field(5, timestamp(1_000)),
          ...field(6, timestamp(3_500)),
          ...flag(9, 1),
        ]),
        vertex("sha256:b", "[2/2] COPY . /src", [...flag(4, 1)]),
        vertex("sha256:c", "[3/3] RUN false", [...field(7, "exit code: 1")]),
        field(2, [...field(1, "layer"), ...field(2, "sha256:a"), ...flag(4, 50), ...flag(5, 100)]),
        field(3, [...field(1, "sha256:a"), ...flag(3, 1), ...field(4, "added 12 packages\n")]),
      ]),
    );
    expect(update.vertexes).toEqual([
      { digest: "sha256:a", name: "[1/2] RUN npm ci", cached: false, started: 1_000, completed: 3_500 },
      { digest: "sha256:b", name: "[2/2] COPY . /src", cached: true },
      { digest: "sha256:c", name: "[3/3] RUN false", cached: false, error: "exit code: 1" },
    ]);
    expect(update.statuses).toEqual([{ id: "layer", vertex: "sha256:a", name: "", current: 50, total: 100 }]);
    expect(update.logs).toEqual([{ vertex: "sha256:a", stream: 1, message: "added 12 packages\n" }]);
  });
});

function collect(): { out: NodeJS.WritableStream; text: () => string } {
  const chunks: string[] = [];
  return {
    out: { write: (chunk: string) => chunks.push(chunk) } as unknown as NodeJS.WritableStream,
    text: () => chunks.join(""),
  };
}

describe("build progress display", () => {
  it("prints numbered plain lines when not on a terminal", () => {
    const { out, text } = collect();
    const progress = createProgress("auto", out);
    progress.trace({
      vertexes: [{ digest: "a", name: "[1/2] RUN npm ci", cached: false, started: 1000 }],
      statuses: [],
      logs: [],
    });
    progress.trace({ vertexes: [], statuses: [], logs: [{ vertex: "a", stream: 1, message: "added 12 packages\n" }] });
    progress.trace({
      vertexes: [{ digest: "a", name: "[1/2] RUN npm ci", cached: false, started: 1000, completed: 3500 }],
      statuses: [],
      logs: [],
    });
    progress.trace({ vertexes: [{ digest: "b", name: "[2/2] COPY . /src", cached: true }], statuses: [], logs: [] });
    progress.close();
    expect(text()).toBe("#1 [1/2] RUN npm ci\n#1 added 12 packages\n#1 DONE 2.5s\n#2 [2/2] COPY . /src\n#2 CACHED\n");
  });

  it("redraws a step list in place on a terminal", () => {
    const { out, text } = collect();
    const progress = createProgress("tty", out);
    progress.trace({
      vertexes: [{ digest: "a", name: "[1/1] RUN npm ci", cached: false, started: Date.now() }],
      statuses: [],
      logs: [],
    });
    progress.trace({ vertexes: [{ digest: "b", name: "[0/1] FROM debian", cached: true }], statuses: [], logs: [] });
    progress.close();
    expect(text()).toContain(" => [1/1] RUN npm ci");
    expect(text()).toMatch(/ => \[0\/1\] FROM debian +CACHED/);
    expect(text()).toContain("\x1b[2K");
  });

  it("prints nothing when quiet, and rejects unknown modes", () => {
    const { out, text } = collect();
    const progress = createProgress("quiet", out);
    progress.text("Step 1/2\n");
    progress.close();
    expect(text()).toBe("");
    expect(() => parseProgressMode("fancy")).toThrow(UsageError);
  });
});
