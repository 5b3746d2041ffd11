/**
 * Waiting for a predictor's setup: one poller of `GET /health-check` for every way cogts runs one (the local
 * server of `--no-docker`, a container of the image), and for tests.
 *
 * One rule for the statuses: READY and BUSY mean setup finished (BUSY is a server already taking predictions, as
 * when a client reached it first); SETUP_FAILED and DEFUNCT mean it will never take one, so waiting stops with the
 * setup logs; anything else (STARTING, UNHEALTHY while the predictor's healthcheck() fails, no answer yet) means
 * poll again.
 */
import { UserError } from "../errors.js";

export interface HealthState {
  status?: string;
  setup?: { logs?: string; status?: string };
}

/** Whether a health-check status means setup finished, failed for good, or is still under way. */
export function readiness(status: string | undefined): "ready" | "failed" | "pending" {
  if (status === "READY" || status === "BUSY") return "ready";
  if (status === "SETUP_FAILED" || status === "DEFUNCT") return "failed";
  return "pending";
}

/** The errors a wait ends with; each way of running a predictor words them for its own user. */
export interface ReadinessErrors {
  /** Setup failed (SETUP_FAILED) or the server is defunct (DEFUNCT). */
  failed(status: string, logs: string): Error;
  timedOut(timeoutMs: number): Error;
}

export interface WaitOptions {
  /** Give up after this long; 0 or absent waits for ever. */
  timeoutMs?: number;
  /** Between polls. */
  intervalMs?: number;
  /** Checked before each poll: the error to stop with when the server's process or container has ended. */
  ended?: () => Promise<Error | undefined> | Error | undefined;
  errors?: Partial<ReadinessErrors>;
}

const DEFAULT_ERRORS: ReadinessErrors = {
  failed: (status, logs) =>
    new UserError(`setup failed${status === "DEFUNCT" ? " (DEFUNCT)" : ""}:\n${logs.trimEnd()}`),
  timedOut: (timeoutMs) => new UserError(`setup did not finish within ${timeoutMs / 1000} s`),
};

/** One `GET /health-check`; undefined while nothing answers (or answers with something other than JSON). */
export async function healthCheck(url: string, timeoutMs = 2000): Promise<HealthState | undefined> {
  try {
    const response = await fetch(`${url}/health-check`, { signal: AbortSignal.timeout(timeoutMs) });
    return (await response.json()) as HealthState;
  } catch {
    return undefined;
  }
}

/** Polls `url`'s health check until setup finished; throws when it failed, the server ended, or time ran out. */
export async function waitUntilReady(url: string, options: WaitOptions = {}): Promise<void> {
  const errors = { ...DEFAULT_ERRORS, ...options.errors };
  const timeoutMs = options.timeoutMs ?? 0;
  const started = Date.now();
  for (;;) {
    const ended = await options.ended?.();
    if (ended) throw ended;
    const health = await healthCheck(url);
    const state = readiness(health?.status);
    if (state === "ready") return;
    if (state === "failed") throw errors.failed(health!.status!, health!.setup?.logs ?? "");
    if (timeoutMs > 0 && Date.now() - started > timeoutMs) throw errors.timedOut(timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}
