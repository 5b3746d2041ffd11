/**
 * The prediction scope: which prediction the running code belongs to. The worker sets it (runInScope, setSoleScope);
 * the SDK reads it (currentScope, re-exported by runtime/sdk/index.ts for predictors).
 */
import { AsyncLocalStorage } from "node:async_hooks";

export type MetricMode = "replace" | "increment" | "append";
/** What `recordMetric` takes: Cog's modes, with its short `incr` for `increment` (reported as `increment`). */
export type MetricModeInput = MetricMode | "incr";

/**
 * What belongs to one running prediction. The worker runs each prediction inside its own scope, so
 * `this.signal` and `this.recordMetric()` reach the right prediction even when several run at once.
 */
export interface PredictionScope {
  readonly id: string;
  readonly signal: AbortSignal;
  recordMetric(name: string, value: unknown, mode?: MetricModeInput): void;
  /**
   * The request's `context` (Cog's `current_scope().context`): the string pairs the caller sent beside `input`
   * (`{"input": {...}, "context": {"region": "eu"}}`), `{}` when it sent none. Not part of the schema.
   */
  readonly context: Readonly<Record<string, string>>;
}

// Kept on globalThis so that a predictor importing its own copy of "cogts" still sees the worker's scope.
const STORAGE_KEY = Symbol.for("cogts.predictionScope");
const storage: AsyncLocalStorage<PredictionScope> = ((globalThis as Record<symbol, unknown>)[STORAGE_KEY] ??=
  new AsyncLocalStorage<PredictionScope>()) as AsyncLocalStorage<PredictionScope>;

/** Runs `fn` with `scope` as the current prediction. Used by the worker, not by predictors. */
export function runInScope<T>(scope: PredictionScope, fn: () => T): T {
  return storage.run(scope, fn);
}

// When predictions run one at a time, the worker sets the scope here instead: AsyncLocalStorage on Node 20 turns on
// promise hooks for the whole process once used, which costs every await of the model some time.
const SOLE_SCOPE_KEY = Symbol.for("cogts.soleScope");

/** Sets (or clears, with undefined) the scope of the only running prediction. Used by the worker. */
export function setSoleScope(scope: PredictionScope | undefined): void {
  (globalThis as Record<symbol, unknown>)[SOLE_SCOPE_KEY] = scope;
}

/** The prediction this code runs for, or undefined outside of one (for example in setup()). */
export function currentScope(): PredictionScope | undefined {
  return storage.getStore() ?? ((globalThis as Record<symbol, unknown>)[SOLE_SCOPE_KEY] as PredictionScope | undefined);
}
