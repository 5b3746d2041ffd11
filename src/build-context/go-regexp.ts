/**
 * Go's regular expressions (RE2 syntax, package regexp) translated into JavaScript ones with the same meaning.
 * Docker's .dockerignore matcher builds a Go regexp from each pattern and leaves `[`, `]`, `^` and `\X` of the
 * pattern to Go's parser, so `[!a]` is the class of `!` and `a`, `[[:digit:]]` a POSIX class and `\d` a digit.
 * Matching that exactly needs Go's reading of those, which differs from JavaScript's: this parses the subset a
 * translated pattern can hold and emits a JavaScript regexp (flag `u`, so `.` and classes take whole code points as
 * Go's take whole runes). Classes become explicit code point ranges, so `\s` and `[:space:]` keep Go's ASCII sets.
 */

export class GoRegexpError extends Error {}

type Range = [number, number];
const MAX_RUNE = 0x10ffff;

const PERL: Record<string, Range[]> = {
  d: [[0x30, 0x39]],
  s: [
    [0x09, 0x0a],
    [0x0c, 0x0d],
    [0x20, 0x20],
  ],
  w: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
};

const POSIX: Record<string, Range[]> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: PERL.w!,
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

function complement(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_RUNE) out.push([next, MAX_RUNE]);
  return out;
}

const codePoint = (c: number): string =>
  /[A-Za-z0-9_]/.test(String.fromCodePoint(c)) ? String.fromCodePoint(c) : `\\u{${c.toString(16)}}`;
const rangesText = (ranges: Range[]): string =>
  ranges.map(([lo, hi]) => (lo === hi ? codePoint(lo) : `${codePoint(lo)}-${codePoint(hi)}`)).join("");

const isAlnum = (c: string) => /^[A-Za-z0-9]$/.test(c);
const isOctal = (c: string | undefined) => c !== undefined && c >= "0" && c <= "7";

/** `\p{L}` and `\p{Greek}` as JavaScript writes them; Go takes categories and scripts by bare name. */
function unicodeClass(name: string, negated: boolean): string {
  if (name === "Any") return negated ? "[^\\u{0}-\\u{10ffff}]" : "[\\u{0}-\\u{10ffff}]";
  const p = negated ? "P" : "p";
  for (const candidate of [`\\${p}{${name}}`, `\\${p}{Script=${name}}`]) {
    try {
      new RegExp(candidate, "u");
      return candidate;
    } catch {
      /* try the next spelling */
    }
  }
  throw new GoRegexpError(`invalid character class range: \\p{${name}}`);
}

class Parser {
  private i = 0;
  private readonly chars: string[];
  constructor(source: string) {
    this.chars = Array.from(source);
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.i + offset];
  }
  private rest(): string {
    return this.chars.slice(this.i).join("");
  }

  /** The whole expression: alternatives of sequences, as Go's parser reads them. */
  parse(): string {
    const out = this.alternation();
    if (this.i < this.chars.length) throw new GoRegexpError(`unexpected ): ${this.rest()}`);
    return out;
  }

  private alternation(): string {
    const branches = [this.sequence()];
    while (this.peek() === "|") {
      this.i++;
      branches.push(this.sequence());
    }
    return branches.join("|");
  }

  private sequence(): string {
    let out = "";
    let last: "none" | "atom" | "repeat" = "none";
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === "|" || c === ")") return out;
      if (c === "*" || c === "+" || c === "?") {
        if (last === "none") throw new GoRegexpError(`missing argument to repetition operator: ${c}`);
        if (last === "repeat") throw new GoRegexpError(`invalid nested repetition operator: ${c}`);
        this.i++;
        out += c;
        if (this.peek() === "?") {
          this.i++;
          out += "?";
        }
        last = "repeat";
        continue;
      }
      if (c === "{") throw new GoRegexpError("a repetition count is not supported here");
      this.i++;
      if (c === "(") {
        if (this.peek() === "?") throw new GoRegexpError("group flags are not supported here");
        const inner = this.alternation();
        if (this.peek() !== ")") throw new GoRegexpError("missing closing )");
        this.i++;
        out += `(?:${inner})`;
      } else if (c === "[") {
        out += this.charClass();
      } else if (c === ".") {
        out += "[^\\n]";
      } else if (c === "^" || c === "$") {
        out += c;
        last = "none";
        continue;
      } else if (c === "\\") {
        const escaped = this.escapeOutsideClass();
        if (escaped.assertion) {
          out += escaped.text;
          last = "none";
          continue;
        }
        out += escaped.text;
      } else {
        out += codePoint(c.codePointAt(0)!);
      }
      last = "atom";
    }
  }

  /** After a `\` outside a class. */
  private escapeOutsideClass(): { text: string; assertion?: boolean } {
    const c = this.peek();
    if (c === undefined) throw new GoRegexpError("trailing backslash at end of expression");
    switch (c) {
      case "A":
        this.i++;
        return { text: "^", assertion: true };
      case "z":
        this.i++;
        return { text: "$", assertion: true };
      case "b":
        this.i++;
        return { text: "\\b", assertion: true };
      case "B":
        this.i++;
        return { text: "\\B", assertion: true };
      case "Q": {
        this.i++;
        const rest = this.rest();
        const end = rest.indexOf("\\E");
        const literal = end === -1 ? rest : rest.slice(0, end);
        this.i += Array.from(literal).length + (end === -1 ? 0 : 2);
        return {
          text:
            Array.from(literal)
              .map((ch) => `(?:${codePoint(ch.codePointAt(0)!)})`)
              .join("") || "(?:)",
        };
      }
    }
    const unicode = this.unicodeEscape();
    if (unicode) return { text: unicode };
    const perl = this.perlEscape();
    if (perl) return { text: `[${rangesText(perl)}]` };
    return { text: codePoint(this.escapedRune()) };
  }

  /** `\pL`, `\p{Greek}`, `\PL`, `\p{^Greek}` with the `\` consumed; undefined when not one. */
  private unicodeEscape(): string | undefined {
    const c = this.peek();
    if (c !== "p" && c !== "P") return undefined;
    this.i++;
    let negated = c === "P";
    let name: string;
    if (this.peek() === "{") {
      const rest = this.rest();
      const end = rest.indexOf("}");
      if (end === -1) throw new GoRegexpError(`invalid character class range: \\${c}${rest}`);
      name = rest.slice(1, end);
      this.i += Array.from(rest.slice(0, end + 1)).length;
      if (name.startsWith("^")) {
        negated = !negated;
        name = name.slice(1);
      }
    } else {
      const next = this.peek();
      if (next === undefined) throw new GoRegexpError(`invalid character class range: \\${c}`);
      name = next;
      this.i++;
    }
    return unicodeClass(name, negated);
  }

  /** `\d \s \w` and their negations, with the `\` consumed. */
  private perlEscape(): Range[] | undefined {
    const c = this.peek();
    if (c === undefined) return undefined;
    const ranges = PERL[c.toLowerCase()];
    if (!ranges || !/[dswDSW]/.test(c)) return undefined;
    this.i++;
    return c === c.toLowerCase() ? ranges : complement(ranges);
  }

  /** One escaped character (Go's parseEscape), with the `\` consumed. */
  private escapedRune(): number {
    const c = this.peek();
    if (c === undefined) throw new GoRegexpError("trailing backslash at end of expression");
    this.i++;
    if (c >= "1" && c <= "7" && !isOctal(this.peek())) throw new GoRegexpError(`invalid escape sequence: \\${c}`);
    if (c >= "0" && c <= "7") {
      let value = Number(c);
      for (let n = 1; n < 3 && isOctal(this.peek()); n++) value = value * 8 + Number(this.chars[this.i++]);
      return value;
    }
    if (c === "x") {
      if (this.peek() === "{") {
        const rest = this.rest();
        const end = rest.indexOf("}");
        const hex = end === -1 ? "" : rest.slice(1, end);
        if (!/^[0-9A-Fa-f]+$/.test(hex) || parseInt(hex, 16) > MAX_RUNE)
          throw new GoRegexpError(`invalid escape sequence: \\x${rest}`);
        this.i += end + 1;
        return parseInt(hex, 16);
      }
      const hex = `${this.peek() ?? ""}${this.peek(1) ?? ""}`;
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new GoRegexpError(`invalid escape sequence: \\x${hex}`);
      this.i += 2;
      return parseInt(hex, 16);
    }
    const controls: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
    if (controls[c] !== undefined) return controls[c]!;
    const code = c.codePointAt(0)!;
    if (code < 0x80 && !isAlnum(c)) return code;
    throw new GoRegexpError(`invalid escape sequence: \\${c}`);
  }

  /** A class, the `[` consumed: Go's parseClass (a `]` or `-` first is literal; `[:name:]`; escapes; ranges). */
  private charClass(): string {
    let negated = false;
    if (this.peek() === "^") {
      negated = true;
      this.i++;
    }
    const ranges: Range[] = [];
    const properties: string[] = [];
    let first = true;
    while (this.peek() !== "]" || first) {
      if (this.peek() === undefined) throw new GoRegexpError("missing closing ]");
      first = false;
      if (this.peek() === "[" && this.peek(1) === ":") {
        const rest = this.rest();
        const end = rest.indexOf(":]", 2);
        if (end !== -1) {
          const name = rest.slice(2, end);
          const group = POSIX[name.replace(/^\^/, "")];
          if (!group) throw new GoRegexpError(`invalid character class range: ${rest.slice(0, end + 2)}`);
          ranges.push(...(name.startsWith("^") ? complement(group) : group));
          this.i += Array.from(rest.slice(0, end + 2)).length;
          continue;
        }
      }
      if (this.peek() === "\\") {
        this.i++;
        const unicode = this.unicodeEscape();
        // `\p{Any}` comes back as a class: everything, or (negated) nothing.
        if (unicode?.startsWith("[^")) continue;
        if (unicode?.startsWith("[")) {
          ranges.push([0, MAX_RUNE]);
          continue;
        }
        if (unicode) {
          properties.push(unicode);
          continue;
        }
        const perl = this.perlEscape();
        if (perl) {
          ranges.push(...perl);
          continue;
        }
        this.i--;
      }
      const lo = this.classChar();
      let hi = lo;
      if (this.peek() === "-" && this.peek(1) !== undefined && this.peek(1) !== "]") {
        this.i++;
        hi = this.classChar();
        if (hi < lo) throw new GoRegexpError("invalid character class range");
      }
      ranges.push([lo, hi]);
    }
    this.i++;
    // A `\p{..}` inside a class stays a property; a negated class of properties is written with JavaScript's `^`.
    const body = rangesText(ranges) + properties.join("");
    if (body === "") return negated ? "[\\u{0}-\\u{10ffff}]" : "[^\\u{0}-\\u{10ffff}]";
    return `[${negated ? "^" : ""}${body}]`;
  }

  private classChar(): number {
    const c = this.peek();
    if (c === undefined) throw new GoRegexpError("missing closing ]");
    if (c === "\\") {
      this.i++;
      return this.escapedRune();
    }
    this.i++;
    return c.codePointAt(0)!;
  }
}

/** The JavaScript RegExp that matches what Go's `regexp.MustCompile(source)` matches; GoRegexpError when Go would refuse it. */
export function goRegexp(source: string): RegExp {
  const translated = new Parser(source).parse();
  try {
    return new RegExp(translated, "u");
  } catch (err) {
    throw new GoRegexpError((err as Error).message);
  }
}
