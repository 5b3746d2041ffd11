/**
 * Secret input values never leave the server in clear: they are masked in logs, errors, outputs, metrics and in
 * the worker output the server passes to its own stderr. Log text arrives in pieces (pipe reads, writes), so a
 * secret may be split across two of them: a stream keeps back the last `longest - 1` characters until the next
 * piece (or its end) shows whether they begin a secret.
 */

export const MASK = "**********";
const MAX_VALUES = 256;

/**
 * The mask of a secret is never longer than the secret: masking each `a` of a one-character secret with ten
 * stars multiplied the logs by ten.
 */
function maskFor(secret: string): string {
  return secret.length >= MASK.length ? MASK : "*".repeat(secret.length);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The secret values of recent predictions (the last 256 distinct values): a prediction's logs, and output the
 * worker writes after a prediction returned, are masked with all of them, since output written late can belong to
 * a prediction that has already ended.
 */
class SecretValues {
  private readonly values = new Set<string>();
  private pattern?: RegExp;
  longest = 0;

  get size(): number {
    return this.values.size;
  }

  add(value: string): void {
    if (value === "") return;
    if (this.values.has(value)) {
      this.values.delete(value);
      this.values.add(value);
      return;
    }
    this.values.add(value);
    if (this.values.size > MAX_VALUES) this.values.delete(this.values.values().next().value as string);
    this.pattern = undefined;
    this.longest = 0;
    for (const item of this.values) if (item.length > this.longest) this.longest = item.length;
  }

  /** One pass over the text; at a place where several secrets start, the longest is masked. */
  regex(): RegExp {
    this.pattern ??= new RegExp(
      [...this.values]
        .sort((a, b) => b.length - a.length)
        .map(escape)
        .join("|"),
      "g",
    );
    return this.pattern;
  }

  /** Whether some secret begins with `text.slice(from)` (and is longer than it). */
  startsWithTail(text: string, from: number): boolean {
    const length = text.length - from;
    for (const value of this.values) if (value.length > length && value.startsWith(text.slice(from))) return true;
    return false;
  }

  redact(text: string): string {
    if (this.values.size === 0 || text.length === 0) return text;
    return text.replace(this.regex(), maskFor);
  }
}

/** The secrets of this server process. */
export const recentSecrets = new SecretValues();

/** Masks one stream of text given in pieces (a prediction's stdout, say); see the top of this file. */
export class RedactingStream {
  private held = "";

  constructor(private readonly secrets: SecretValues = recentSecrets) {}

  /** The part of `held + text` that is safe to show now, masked. */
  write(text: string): string {
    if (this.secrets.size === 0 && this.held === "") return text;
    const all = this.held + text;
    // Kept back: the tail from the first place where a longer secret could begin (only the last `longest - 1`
    // characters can be that).
    let keepFrom = all.length;
    for (let at = Math.max(0, all.length - this.secrets.longest + 1); at < all.length; at++) {
      if (this.secrets.startsWithTail(all, at)) {
        keepFrom = at;
        break;
      }
    }
    const pattern = this.secrets.regex();
    pattern.lastIndex = 0;
    let out = "";
    let last = 0;
    let match: RegExpExecArray | null;
    while ((match = pattern.exec(all)) !== null && match.index < keepFrom) {
      out += all.slice(last, match.index) + maskFor(match[0]);
      last = match.index + match[0].length;
    }
    if (last > keepFrom) keepFrom = last;
    out += all.slice(last, keepFrom);
    this.held = all.slice(keepFrom);
    return out;
  }

  /** Whatever was kept back, masked: the stream has ended. */
  end(): string {
    const rest = this.secrets.redact(this.held);
    this.held = "";
    return rest;
  }
}
