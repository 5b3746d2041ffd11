/**
 * What the recorded Cog 0.16 server sends that the contract (Cog 0.22 + cogts's legacy fields) describes
 * differently (the contract: schemas/ and docs/http-api.md). Each entry names the
 * difference and rewrites a 0.16 body into what a 0.22 client would see, so the schemas can stay exact and the
 * transcripts still prove that they accept real traffic. An entry that no recorded body needs is an error
 * (the list must not rot), and so is a body that still fails after the rewrites.
 */
import type { ContractRef } from "../helpers/contract.js";

/** What is known about a recorded body when the deviations are applied. */
export interface BodyContext {
  /** Where the body comes from: an HTTP response, a response that arrived later, or a received webhook. */
  source: "response" | "later-response" | "webhook";
  method: string;
  path: string;
  status: number;
  requestHeaders: Record<string, string>;
  /** The contract schema the body is checked against (a deviation may change it). */
  ref: ContractRef;
}

export interface Deviation {
  id: string;
  /** The difference, with where the contract says so. */
  description: string;
  /** Returns the rewritten body (and schema), or undefined when the deviation does not apply. */
  rewrite(body: unknown, context: BodyContext): { body: unknown; ref?: ContractRef } | undefined;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);
const TERMINAL = new Set(["succeeded", "failed", "canceled"]);
const TIMESTAMP_KEYS = ["created_at", "started_at", "completed_at"];
const isPrediction = (context: BodyContext) =>
  context.ref.startsWith("prediction-response") || context.ref === "webhook-payload";

function mapTimestamps(body: Json, fix: (value: string) => string): Json {
  const out = { ...body };
  for (const key of TIMESTAMP_KEYS) if (typeof out[key] === "string") out[key] = fix(out[key]);
  return out;
}

export const COG016_DEVIATIONS: Deviation[] = [
  {
    id: "async-202-is-a-processing-snapshot",
    description:
      'POST with `Prefer: respond-async`: 0.16 answers 202 with the whole prediction in status `processing`; 0.22 answers {id, status: "starting"} (docs/http-api.md, Asynchronous predictions and webhooks). The 0.16 body is checked as a state snapshot instead.',
    rewrite(body, context) {
      if (
        context.ref !== "prediction-response#/definitions/accepted" ||
        !isObject(body) ||
        body.status !== "processing"
      )
        return undefined;
      return { body, ref: "prediction-response#/definitions/snapshot" };
    },
  },
  {
    id: "server-never-invents-an-id",
    description:
      "0.16 answers `id: null` when the client sent no id; 0.22 makes one up, `pred_<hex of unix nanos>` (§4.3). Rewritten to a made-up id.",
    rewrite(body, context) {
      if (!isPrediction(context) || !isObject(body) || body.id !== null) return undefined;
      return { body: { ...body, id: "pred_0" } };
    },
  },
  {
    id: "metrics-missing-unless-succeeded",
    description:
      "0.16 sends `metrics: null` (responses) or no `metrics` (webhooks) unless the prediction succeeded; 0.22's snapshot always has `metrics`, with `predict_time` on every terminal state (§4.4). Rewritten to {} while running and to the started→completed time once terminal.",
    rewrite(body, context) {
      if (!isPrediction(context) || !isObject(body) || isObject(body.metrics)) return undefined;
      const metrics: Json = {};
      if (
        TERMINAL.has(body.status as string) &&
        typeof body.started_at === "string" &&
        typeof body.completed_at === "string"
      ) {
        metrics.predict_time = (Date.parse(body.completed_at) - Date.parse(body.started_at)) / 1000;
      }
      return { body: { ...body, metrics } };
    },
  },
  {
    id: "unset-fields-written-as-null",
    description:
      '0.16 writes every unset field as null (`version`, `created_at`, `completed_at`, `error`; `version` is always null and not in 0.22 at all); 0.22 and cogts leave unset fields out (§4.4, §4.12). `output: null` stays: it means "returned nothing".',
    rewrite(body, context) {
      if (!isPrediction(context) || !isObject(body)) return undefined;
      const nullKeys = Object.keys(body).filter((k) => body[k] === null && k !== "output");
      if (nullKeys.length === 0) return undefined;
      return { body: Object.fromEntries(Object.entries(body).filter(([k]) => !nullKeys.includes(k))) };
    },
  },
  {
    id: "timestamps-with-offset",
    description:
      "0.16 writes `+00:00` timestamps in sync responses, webhooks and the health check (and `Z` only in 202 bodies); cogts writes RFC 3339 UTC with `Z` everywhere (docs/http-api.md).",
    rewrite(body) {
      if (!isObject(body)) return undefined;
      const fix = (value: string) => value.replace(/\+00:00$/, "Z");
      let changed = false;
      let out = mapTimestamps(body, (v) => {
        const fixed = fix(v);
        changed ||= fixed !== v;
        return fixed;
      });
      if (isObject(out.setup)) {
        const setup = mapTimestamps(out.setup, (v) => {
          const fixed = fix(v);
          changed ||= fixed !== v;
          return fixed;
        });
        out = { ...out, setup };
      }
      return changed ? { body: out } : undefined;
    },
  },
  {
    id: "conflict-body-shape",
    description:
      '409 (busy; 0.16 also during setup, where 0.22 answers 503): 0.16 sends {"detail": "Already running a prediction"}; 0.22 sends {"error": "At capacity - all prediction slots busy", "status": "failed"} (§4.4 step 4, §4.10).',
    rewrite(body, context) {
      if (context.status !== 409 || !isObject(body) || typeof body.detail !== "string") return undefined;
      return { body: { error: body.detail, status: "failed" } };
    },
  },
  {
    id: "pydantic-validation-errors",
    description:
      "422 from 0.16 comes from FastAPI/pydantic 2: items carry `input` and `ctx`, and `type` is pydantic's (`missing`, `string_type`, `greater_than_equal`, …); 0.22 sends {loc, msg, type} with type `value_error.missing` or `value_error` (§6). Rewritten by type; the messages stay pydantic's.",
    rewrite(body, context) {
      if (context.status !== 422 || !isObject(body) || !Array.isArray(body.detail)) return undefined;
      const detail = body.detail.map((item: unknown) => {
        if (!isObject(item)) return item;
        return { loc: item.loc, msg: item.msg, type: item.type === "missing" ? "value_error.missing" : "value_error" };
      });
      return JSON.stringify(detail) === JSON.stringify(body.detail) ? undefined : { body: { detail } };
    },
  },
  {
    id: "health-without-version",
    description: '0.16\'s health check has no `version` object; 0.22 sends {"coglet": <version>, …} (§4.5).',
    rewrite(body, context) {
      if (context.ref !== "health-check" || !isObject(body) || "version" in body) return undefined;
      return { body: { ...body, version: { coglet: "0.16.12" } } };
    },
  },
];

/** Bodies that have no 0.22 counterpart to check: the reason is the deviation. */
export interface Unchecked {
  id: string;
  description: string;
  matches(context: BodyContext & { text: string; truncated: boolean }): boolean;
}

export const COG016_UNCHECKED: Unchecked[] = [
  {
    id: "empty-body-500",
    description:
      '0.16 answers a `{}` body or `{"input": null}` with HTTP 500 (the Input() defaults reach predict() as FieldInfo objects); 0.22 and cogts treat both as an empty input (the prediction request schema in schemas/).',
    matches: (c) => c.status === 500 && c.text.includes("validation error for PredictionResponse"),
  },
  {
    id: "prediction-after-setup-failure-500",
    description:
      'After a setup failure 0.16 answers predictions with 500 `text/plain` `Internal Server Error`; 0.22 answers 503 {"error": "Setup has not finished yet…", "status": "failed"} (§4.4 step 3).',
    matches: (c) => c.status === 500 && c.text === "Internal Server Error",
  },
  {
    id: "swagger-docs",
    description:
      "0.16 (FastAPI) serves Swagger HTML at /docs; 0.22 does not serve /docs (404), though `docs_url` stays in GET / (§4.2).",
    matches: (c) => c.path === "/docs",
  },
  {
    id: "openapi-document",
    description:
      "GET /openapi.json is the model's OpenAPI document, checked by the schema tests (src/schema/*.test.ts), not a wire schema; the recorder also truncated it.",
    matches: (c) => c.path === "/openapi.json",
  },
];
