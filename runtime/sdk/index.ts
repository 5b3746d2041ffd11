/**
 * The cogts SDK: what a predictor imports.
 *
 *   import { BasePredictor, Input, Path, Secret, type Int } from "cogts";
 *
 * Everything here is plain runtime code so the same module type-checks on an author's machine and runs in the image.
 * The schema generator reads predictors statically and recognises these names; it never runs this code.
 */
import { inspect } from "node:util";
import { currentScope, type MetricModeInput } from "../scope/index.js";

// What a predictor may use of the prediction scope; setting it (runInScope, setSoleScope) is the worker's business.
export { currentScope, type PredictionScope, type MetricMode, type MetricModeInput } from "../scope/index.js";

/** An integer input or output (`"type": "integer"` in the schema). At run time it is a plain number. */
export type Int = number & { readonly __cogtsInt?: never };

/** A stream of strings the client should show joined (`x-cog-array-display: concatenate`), e.g. LLM tokens. */
export type ConcatenateIterator<T = string> = AsyncIterable<T> & { readonly __cogtsConcatenate?: never };

/** A file. Inputs arrive as local files (URLs are fetched first); returned paths are sent to the client as files. */
/** Brands that identify SDK values even when a project loads a second copy of this module (no instanceof). */
export const PATH_BRAND = Symbol.for("cogts.Path");
export const SECRET_BRAND = Symbol.for("cogts.Secret");

export function isPath(value: unknown): value is Path {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[PATH_BRAND] === true;
}

export function isSecret(value: unknown): value is Secret {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[SECRET_BRAND] === true;
}

export class Path {
  readonly [PATH_BRAND] = true;
  readonly path: string;
  constructor(path: string | Path) {
    this.path = typeof path === "string" ? path : path.path;
  }
  toString(): string {
    return this.path;
  }
  toJSON(): string {
    return this.path;
  }
  [inspect.custom](): string {
    return `Path(${JSON.stringify(this.path)})`;
  }
}

const MASK = "**********";

/** A sensitive string. `value()` gives the text; printing or serialising it shows `**********`. */
export class Secret {
  readonly [SECRET_BRAND] = true;
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  value(): string {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [inspect.custom](): string {
    return `Secret(${MASK})`;
  }
}

/** Options of `Input()`, as Cog's `Input(...)`. Anything else is an error at `cog schema`/`cog build`. */
export interface InputOptions<T = unknown> {
  description?: string;
  default?: T;
  /** Minimum (>=) for numbers. */
  ge?: number;
  /** Maximum (<=) for numbers. */
  le?: number;
  minLength?: number;
  maxLength?: number;
  /** A regular expression the string must match (`pattern`). */
  regex?: string;
  choices?: readonly T[];
  deprecated?: boolean;
  /** Accepted MIME types for a `Path` input, e.g. `"image/*"`. */
  accept?: string;
}

/**
 * Describes a predictor parameter. Used as the parameter's default value:
 *
 *   steps: Int = Input({ default: 50, ge: 1, le: 100 })
 *
 * At run time it returns the default, so JavaScript's own default-parameter rule fills omitted inputs.
 */
export function Input<T = any>(options: InputOptions<T> = {}): T {
  return options.default as T;
}

/** Base class of predictors: override `setup()` and `predict()` (or `run()`). */
export abstract class BasePredictor {
  /** Load the model once, before any prediction. */
  async setup(): Promise<void> {}

  /** Aborted when the running prediction is canceled (or its client went away). */
  get signal(): AbortSignal {
    const scope = currentScope();
    if (!scope) throw new Error("this.signal is only available while a prediction runs");
    return scope.signal;
  }

  /**
   * Records a metric on the running prediction, merged into its `metrics` beside `predict_time`.
   * `mode` is Cog's: "replace" (default), "increment" or "incr" (add to a number), "append" (push onto a list).
   * Dotted names nest (`"tokens.input"`); each part starts with a letter, ends with a letter or digit, and holds
   * letters, digits and single underscores (Cog's rules); a bad name fails the prediction.
   */
  recordMetric(name: string, value: unknown, mode: MetricModeInput = "replace"): void {
    const scope = currentScope();
    if (!scope) throw new Error("recordMetric() is only available while a prediction runs");
    scope.recordMetric(name, value, mode);
  }
}
