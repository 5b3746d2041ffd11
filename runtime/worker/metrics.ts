/**
 * Metric names and modes as Cog checks them (coglet's scope and its integration test `coglet_metrics_validation`):
 * a prediction that records a bad name fails with the reason.
 */
import type { MetricMode } from "../scope/index.js";

const MAX_LENGTH = 128;
const MAX_SEGMENTS = 4;

/** Throws with Cog's reason when `name` is not a metric name a prediction may record. */
export function checkMetricName(name: unknown): asserts name is string {
  const bad = (reason: string) =>
    new Error(`invalid metric name ${JSON.stringify(String(name).slice(0, 200))}: ${reason}`);
  if (typeof name !== "string" || name === "") throw bad("it must be a non-empty string");
  if (name === "predict_time") throw bad("predict_time is reserved");
  if (name === "cog" || name.startsWith("cog.")) throw bad('the "cog." prefix is reserved');
  if (name.length > MAX_LENGTH) throw bad(`it must be at most ${MAX_LENGTH} characters long`);
  if (name.startsWith(".")) throw bad("it must not start with a dot");
  if (name.endsWith(".")) throw bad("it must not end with a dot");
  const segments = name.split(".");
  if (segments.some((segment) => segment === "")) throw bad("it must not have empty segments (two dots in a row)");
  if (segments.length > MAX_SEGMENTS) throw bad(`it may have at most ${MAX_SEGMENTS} dot-separated segments`);
  for (const segment of segments) {
    if (!/^[A-Za-z]/.test(segment))
      throw bad(`each segment must start with a letter (${JSON.stringify(segment)} does not)`);
    if (!/^[A-Za-z0-9_]*$/.test(segment))
      throw bad(`each segment may hold only letters, digits and underscores (${JSON.stringify(segment)} does not)`);
    if (segment.includes("__")) throw bad(`it must not contain consecutive underscores (${JSON.stringify(segment)})`);
    if (!/[A-Za-z0-9]$/.test(segment))
      throw bad(`each segment must end with a letter or digit (${JSON.stringify(segment)} does not)`);
  }
}

/** Cog's modes; `incr` is Cog's spelling of `increment`, and is reported as `increment`. */
export function metricMode(mode: unknown): MetricMode {
  if (mode === undefined || mode === "replace") return "replace";
  if (mode === "incr" || mode === "increment") return "increment";
  if (mode === "append") return "append";
  throw new Error(`invalid metric mode ${JSON.stringify(mode)}: use "replace", "incr" (or "increment") or "append"`);
}
