/**
 * Every body recorded from Cog's own server (responses, late responses of blocked requests, webhooks) is checked
 * against the wire schemas, after the listed 0.16 → 0.22 differences are applied; every request body the
 * recording sent is checked against the request schema. This proves the schemas accept what a Cog client sees,
 * while they describe 0.22 + cogts exactly.
 */
import { describe, expect, it } from "vitest";
import { contractForResponse, contractProblems, type ContractRef } from "../helpers/contract.js";
import { readTranscripts, type Exchange } from "../helpers/transcripts.js";
import { COG016_DEVIATIONS, COG016_UNCHECKED, type BodyContext } from "./cog016-deviations.js";

const transcripts = readTranscripts();
const exchanges = transcripts.flatMap((t) => t.exchanges);

/** The schema a 0.22 server's answer to this request would follow. */
function contractFor(exchange: Exchange, status: number, body: unknown): ContractRef | undefined {
  const { method, path, headers } = exchange.request;
  return contractForResponse({ method, path, status, requestHeaders: headers, body });
}

interface Checked {
  where: string;
  applied: string[];
  ref: ContractRef;
  problems: string[];
  body: unknown;
}

const used = new Map<string, number>();
const checked: Checked[] = [];
const unchecked: { where: string; reason: string }[] = [];
const unclassified: string[] = [];

function check(where: string, body: unknown, context: BodyContext): void {
  const applied: string[] = [];
  let current = body;
  let ref = context.ref;
  for (const deviation of COG016_DEVIATIONS) {
    const result = deviation.rewrite(current, { ...context, ref });
    if (!result) continue;
    applied.push(deviation.id);
    used.set(deviation.id, (used.get(deviation.id) ?? 0) + 1);
    current = result.body;
    ref = result.ref ?? ref;
  }
  checked.push({ where, applied, ref, problems: contractProblems(ref, current), body: current });
}

for (const exchange of exchanges) {
  const where = `${exchange.file} [${exchange.number}] ${exchange.title}`;
  const responses = [
    {
      source: "response" as const,
      status: exchange.response.status,
      text: exchange.response.text,
      truncated: exchange.response.truncated,
      json: exchange.response.json,
    },
    ...exchange.later.map((l) => ({
      source: "later-response" as const,
      status: l.status,
      text: l.text,
      truncated: l.truncated,
      json: l.json,
    })),
  ];
  for (const response of responses) {
    const base = {
      method: exchange.request.method,
      path: exchange.request.path,
      status: response.status,
      requestHeaders: exchange.request.headers,
    };
    const skip = COG016_UNCHECKED.find((u) =>
      u.matches({ ...base, source: response.source, ref: "index", text: response.text, truncated: response.truncated }),
    );
    if (skip) {
      used.set(skip.id, (used.get(skip.id) ?? 0) + 1);
      unchecked.push({ where, reason: skip.id });
      continue;
    }
    // A late response is the blocked request's own answer: a prediction.
    const ref =
      response.source === "later-response"
        ? "prediction-response#/definitions/prediction"
        : contractFor(exchange, response.status, response.json);
    if (!ref || response.json === undefined) {
      unclassified.push(`${where}: HTTP ${response.status} ${response.text.slice(0, 80)}`);
      continue;
    }
    check(`${where}${response.source === "later-response" ? " (late response)" : ""}`, response.json, {
      ...base,
      source: response.source,
      ref,
    });
  }
}

for (const transcript of transcripts) {
  for (const block of transcript.receivers) {
    for (const received of block.requests) {
      if (received.method !== "POST" || received.json === undefined) continue;
      check(`${block.file} after [${block.after}] ${block.title.slice(0, 60)} #${received.index}`, received.json, {
        source: "webhook",
        method: received.method,
        path: received.path,
        status: 0,
        requestHeaders: received.headers,
        ref: "webhook-payload",
      });
    }
  }
}

// DEBUG_CONTRACT=1 prints which schema and which deviations each recorded body went through.
if (process.env.DEBUG_CONTRACT)
  for (const c of checked) console.log(`${c.where.slice(0, 80)} => ${c.ref} ${c.applied.join(",")}`);

describe("Cog's recorded traffic against the wire schemas", () => {
  it("parses every transcript into exchanges and received webhooks", () => {
    expect(transcripts.map((t) => t.file)).toHaveLength(7);
    expect(exchanges.length).toBeGreaterThanOrEqual(120);
    expect(checked.filter((c) => c.where.includes("#")).length).toBeGreaterThanOrEqual(35);
  });

  it("classifies every recorded response (a new kind of body needs a schema or a listed reason)", () => {
    expect(unclassified).toEqual([]);
  });

  it("finds every recorded body valid once the listed 0.16 differences are applied", () => {
    const failures = checked
      .filter((c) => c.problems.length > 0)
      .map(
        (c) =>
          `${c.where} [${c.ref}] after ${c.applied.join(", ") || "no rewrite"}:\n    ${c.problems.join("\n    ")}\n    ${JSON.stringify(c.body).slice(0, 400)}`,
      );
    expect(failures.join("\n")).toBe("");
    expect(checked.length).toBeGreaterThanOrEqual(150);
  });

  it("needs every listed deviation for at least one recorded body", () => {
    const stale = [...COG016_DEVIATIONS.map((d) => d.id), ...COG016_UNCHECKED.map((u) => u.id)].filter(
      (id) => !used.has(id),
    );
    expect(stale).toEqual([]);
  });

  it("checks most bodies without any rewrite of their shape beyond timestamps and nulls", () => {
    // The deviations are for known differences, not a way to make anything pass.
    const reshaped = checked.filter((c) =>
      c.applied.some(
        (id) =>
          ![
            "timestamps-with-offset",
            "unset-fields-written-as-null",
            "server-never-invents-an-id",
            "metrics-missing-unless-succeeded",
          ].includes(id),
      ),
    );
    expect(reshaped.length).toBeLessThan(checked.length / 2);
  });

  it("validates the request bodies Cog accepted, and rejects the envelopes Cog rejected", () => {
    const wrong: string[] = [];
    let accepted = 0;
    let rejected = 0;
    for (const exchange of exchanges) {
      const { method, path, body } = exchange.request;
      if (!/^\/predictions(\/[^/]+)?$/.test(path) || (method !== "POST" && method !== "PUT") || body === undefined)
        continue;
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        continue; // the malformed-JSON case: no body to validate
      }
      const detail = (exchange.response.json as { detail?: { loc: unknown[] }[] } | undefined)?.detail;
      const envelopeRejected =
        exchange.response.status === 422 &&
        Array.isArray(detail) &&
        detail.some((d) => (d.loc[1] === "input" ? d.loc.length === 2 : d.loc[1] !== "id"));
      const problems = contractProblems("prediction-request", json);
      if (envelopeRejected) {
        rejected++;
        if (problems.length === 0)
          wrong.push(`${exchange.file} [${exchange.number}]: Cog rejected ${body} but the schema accepts it`);
      } else {
        accepted++;
        if (problems.length > 0) wrong.push(`${exchange.file} [${exchange.number}]: ${body}: ${problems.join("; ")}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(accepted).toBeGreaterThan(60);
    expect(rejected).toBe(3);
  });

  it("lists why the bodies it does not check have no 0.22 counterpart", () => {
    expect(unchecked.map((u) => u.reason).sort()).toEqual(
      [
        "empty-body-500",
        "empty-body-500",
        "openapi-document",
        "openapi-document",
        "prediction-after-setup-failure-500",
        "prediction-after-setup-failure-500",
        "prediction-after-setup-failure-500",
        "swagger-docs",
      ].sort(),
    );
  });
});
