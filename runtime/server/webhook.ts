/**
 * Webhooks (docs/spec/cog-contract.md §4.6): state snapshots POSTed to the prediction's `webhook`, filtered by
 * `webhook_events_filter`; logs throttled, outputs never; the terminal one retried with backoff. Sending never
 * blocks a prediction, a cancel or the health check: every send runs in the background.
 */
import type { Prediction, PredictionEvent } from "./prediction.js";
import { log } from "./log.js";
import { deliveries } from "./webhook-delivery.js";

export type WebhookEvent = "start" | "output" | "logs" | "completed";
export const WEBHOOK_EVENTS: readonly WebhookEvent[] = ["start", "output", "logs", "completed"];

interface WebhookSettings {
  url: string;
  events: ReadonlySet<WebhookEvent>;
  /** Seconds between non-terminal, non-output sends. */
  throttle: number;
  headers: Record<string, string>;
  userAgent: string;
  /** Base of the retry backoff in ms (100 ms as Cog); tests may shrink it. */
  retryBaseMs: number;
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const MAX_RETRIES = 12;
const TIMEOUT_MS = 30_000;
/** Non-terminal webhooks of one prediction waiting or in flight; past this, later ones are dropped (the next carries their state). */
const MAX_PENDING_EVENTS = 16;

/** Follows a prediction and sends its webhooks; returns a promise settled when the terminal one is delivered or given up. */
export function attachWebhook(prediction: Prediction, settings: WebhookSettings): Promise<void> {
  let lastSent = 0;
  const pending = new Set<Promise<unknown>>();
  let resolveFinal!: () => void;
  const final = new Promise<void>((resolve) => (resolveFinal = resolve));

  const post = async (body: string): Promise<number> => {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": settings.userAgent,
      ...settings.headers,
    };
    const response = await fetch(settings.url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.arrayBuffer().catch(() => undefined);
    return response.status;
  };

  // Deliveries are limited per receiver; a URL that does not parse fails in fetch, as before.
  const origin = URL.canParse(settings.url) ? new URL(settings.url).origin : settings.url;
  const sendInBackground = (body: string) => {
    if (pending.size >= MAX_PENDING_EVENTS) return;
    const sending = deliveries.run(origin, body.length, () => post(body));
    pending.add(sending);
    void sending.finally(() => pending.delete(sending));
  };

  const sendTerminal = async () => {
    // Let earlier events arrive first, without waiting long for a slow receiver.
    await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, 1000))]);
    const body = JSON.stringify(prediction.snapshot());
    for (let attempt = 0; ; attempt++) {
      let problem: string;
      try {
        const outcome: { status?: number; error?: Error } = {};
        const ran = await deliveries.run(origin, body.length, () =>
          post(body).then(
            (status) => void (outcome.status = status),
            (error: Error) => void (outcome.error = error),
          ),
        );
        if (!ran) return void giveUp("too many webhook deliveries are waiting for their receivers", attempt + 1);
        if (outcome.error || outcome.status === undefined) throw outcome.error ?? new Error("no answer");
        const status = outcome.status;
        if (status < 300) return;
        problem = `HTTP ${status}`;
        if (!RETRYABLE.has(status)) return void giveUp(problem, attempt + 1);
      } catch (error) {
        problem = (error as Error).message; // a network error: retried
      }
      if (attempt >= MAX_RETRIES) return void giveUp(problem, attempt + 1);
      await new Promise((r) => setTimeout(r, settings.retryBaseMs * 2 ** Math.min(attempt, 10)));
    }
  };

  /** The receiver's address without its query string, which may carry a token. */
  const giveUp = (problem: string, attempts: number) => {
    const target = new URL(settings.url);
    log("warn", "the terminal webhook was not delivered", {
      prediction_id: prediction.id,
      webhook: `${target.origin}${target.pathname}`,
      attempts,
      error: problem,
    });
  };

  const onEvent = (event: PredictionEvent) => {
    if (event.type === "completed") {
      unsubscribe();
      if (!settings.events.has("completed")) return resolveFinal();
      void sendTerminal().finally(resolveFinal);
      return;
    }
    const kind: WebhookEvent | undefined =
      event.type === "start" ? "start" : event.type === "output" ? "output" : event.type === "log" ? "logs" : undefined;
    if (!kind || !settings.events.has(kind)) return;
    const now = performance.now();
    if (kind !== "output" && lastSent > 0 && now - lastSent < settings.throttle * 1000) return;
    lastSent = now;
    sendInBackground(JSON.stringify(prediction.snapshot()));
  };
  const unsubscribe = prediction.subscribe(onEvent);
  return final;
}
