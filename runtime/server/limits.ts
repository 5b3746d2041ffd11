/**
 * Bounds on what the server echoes back: a value quoted in an error message is cut, so that a huge input cannot
 * make a huge answer.
 *
 *   clip(JSON.stringify(input)); // at most 200 characters and an ellipsis
 */
const MAX_QUOTED_CHARS = 200;

/** `text` cut to `max` characters, with an ellipsis when it was longer. */
export function clip(text: string, max = MAX_QUOTED_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A value as JSON for an error message, cut to `max` characters (only the start of a long string is serialised). */
export function quote(value: unknown, max = MAX_QUOTED_CHARS): string {
  if (typeof value === "string" && value.length > max) return clip(JSON.stringify(value.slice(0, max)), max + 2);
  if (Array.isArray(value) && value.length > max)
    return clip(
      `[${value
        .slice(0, max)
        .map((v) => quote(v, max))
        .join(",")}`,
      max,
    );
  try {
    return clip(JSON.stringify(value) ?? String(value), max);
  } catch {
    return Array.isArray(value) ? "[…]" : "{…}";
  }
}
