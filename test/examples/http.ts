/** A small client of the prediction API for the example tests: JSON predictions, SSE streams, data URLs. */
import { readSseEvents, type SseEvent } from "../helpers/sse.js";

export interface PredictionResponse {
  id?: string;
  status: string;
  output?: unknown;
  error?: string | null;
  logs?: string;
  metrics?: Record<string, unknown>;
}

export async function waitUntilReady(baseUrl: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = "no answer";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${baseUrl}/health-check`);
      const body = (await response.json()) as Record<string, unknown>;
      if (body.status === "READY") return body;
      if (body.status === "SETUP_FAILED") throw new Error(`setup failed: ${JSON.stringify(body.setup)}`);
      last = body;
    } catch (error) {
      if (String(error).includes("setup failed")) throw error;
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not READY after ${timeoutMs} ms: ${String(last instanceof Error ? last.message : JSON.stringify(last))}`);
}

export async function predict(baseUrl: string, input: Record<string, unknown>, kind = "predictions"): Promise<PredictionResponse> {
  const response = await fetch(`${baseUrl}/${kind}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input }),
  });
  const body = (await response.json()) as PredictionResponse;
  if (response.status !== 200) throw new Error(`POST /${kind} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

/** POSTs a prediction with `Accept: text/event-stream` and collects its events as they arrive. */
export async function streamPrediction(baseUrl: string, input: Record<string, unknown>): Promise<SseEvent[]> {
  const response = await fetch(`${baseUrl}/predictions`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ input }),
  });
  if (response.status !== 200 || !response.body) throw new Error(`SSE request answered ${response.status}: ${await response.text()}`);
  return readSseEvents(response);
}

export function toDataUrl(bytes: Buffer, mime: string): string {
  return `data:${mime};base64,${bytes.toString("base64")}`;
}

export function fromDataUrl(url: unknown): { mime: string; bytes: Buffer } {
  const match = typeof url === "string" ? /^data:([^;,]*)(?:;[^,]*)?;base64,(.*)$/s.exec(url) : null;
  if (!match) throw new Error(`not a base64 data URL: ${String(url).slice(0, 80)}`);
  return { mime: match[1]!, bytes: Buffer.from(match[2]!, "base64") };
}
