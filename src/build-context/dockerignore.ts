/**
 * A `.dockerignore` matcher that decides as Docker does (moby/patternmatcher and its ignorefile reader, which the
 * docker CLI and BuildKit use). Lines starting with `#` are comments; each other line is trimmed, a leading `!`
 * makes it an exception, the path is cleaned (Go's filepath.Clean) and a leading `/` dropped. A pattern matches a
 * path or any of its parent directories; the last matching line wins. Patterns are Go globs: `*` and `?` stay within
 * one path element, `**` crosses them, and the rest is read as Docker reads it, by turning the pattern into a Go
 * regular expression (src/build-context/go-regexp.ts), so `[!a]` is the class of `!` and `a` and `[^a]` is "not a". A
 * pattern Docker refuses (`[`, `[a-]`, a lone `!`, a trailing `\`) is an error here too, naming its line.
 */
import { posix } from "node:path";
import { UserError } from "../errors.js";
import { GoRegexpError, goRegexp } from "./go-regexp.js";

interface IgnoreMatcher {
  (relativePath: string): boolean;
  /** With a `!` line, an excluded directory may still hold re-included files, so it must be walked. */
  hasExceptions: boolean;
}

type Kind = "exact" | "prefix" | "suffix" | "regexp";

interface Pattern {
  cleaned: string;
  exclusion: boolean;
  kind: Kind;
  regexp?: RegExp;
}

/** Go's strings.TrimSpace: Unicode White_Space as Go's unicode.IsSpace has it (U+0085 yes, U+FEFF no). */
const GO_SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const TRIM = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, "g");
const goTrimSpace = (s: string) => s.replace(TRIM, "");

/** Go's filepath.Clean on a slash-separated path. */
function goClean(p: string): string {
  if (p === "") return ".";
  const normal = posix.normalize(p);
  return normal.length > 1 && normal.endsWith("/") ? normal.slice(0, -1) : normal;
}

/** Whether Go's filepath.Match accepts the pattern's syntax (it checks the whole pattern, classes and escapes). */
function validGlob(pattern: string): boolean {
  const c = Array.from(pattern);
  for (let i = 0; i < c.length; i++) {
    if (c[i] === "\\") {
      if (++i >= c.length) return false;
    } else if (c[i] === "[") {
      i++;
      if (c[i] === "^") i++;
      // One class item: a character or `\`-escaped character, which must not end the pattern.
      const item = (): boolean => {
        if (i >= c.length || c[i] === "-" || c[i] === "]") return false;
        if (c[i] === "\\" && ++i >= c.length) return false;
        i++;
        return i < c.length;
      };
      for (let items = 0; ; items++) {
        if (c[i] === "]" && items > 0) break;
        if (!item()) return false;
        if (c[i] === "-") {
          i++;
          if (!item()) return false;
        }
      }
    }
  }
  return true;
}

/** patternmatcher's translation of a cleaned pattern: a plain comparison when it can, else a Go regexp. */
function compile(cleaned: string): { kind: Kind; source: string } {
  const chars = Array.from(cleaned);
  let source = "^";
  let kind: Kind = "exact";
  for (let pos = 0, i = 0; pos < chars.length; i++) {
    const ch = chars[pos++]!;
    if (ch === "*") {
      if (chars[pos] === "*") {
        pos++;
        if (chars[pos] === "/") pos++;
        if (pos >= chars.length) {
          if (kind === "exact") kind = "prefix";
          else {
            source += ".*";
            kind = "regexp";
          }
        } else {
          source += "(.*/)?";
          kind = "regexp";
        }
        if (i === 0) kind = "suffix";
      } else {
        source += "[^/]*";
        kind = "regexp";
      }
    } else if (ch === "?") {
      source += "[^/]";
      kind = "regexp";
    } else if (".+()|{}$".includes(ch)) {
      source += `\\${ch}`;
    } else if (ch === "\\") {
      if (pos < chars.length) {
        source += `\\${chars[pos++]!}`;
        kind = "regexp";
      } else source += "\\";
    } else if (ch === "[" || ch === "]") {
      source += ch;
      kind = "regexp";
    } else {
      source += ch;
    }
  }
  return { kind, source: `${source}$` };
}

function matchOne(pattern: Pattern, path: string): boolean {
  switch (pattern.kind) {
    case "exact":
      return path === pattern.cleaned;
    case "prefix":
      return path.startsWith(pattern.cleaned.slice(0, -2));
    case "suffix": {
      const suffix = pattern.cleaned.slice(2);
      return path.endsWith(suffix) || (suffix.startsWith("/") && path === suffix.slice(1));
    }
    case "regexp":
      return pattern.regexp!.test(path);
  }
}

/** bufio.Scanner's limit: a longer line makes Docker fail to read the file. */
const MAX_LINE_BYTES = 64 * 1024;

/** ignorefile.ReadAll: the patterns of the file, with the line each came from. */
function readPatterns(text: string): { pattern: string; line: number }[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const out: { pattern: string; line: number }[] = [];
  lines.forEach((raw, index) => {
    if (Buffer.byteLength(raw) >= MAX_LINE_BYTES)
      throw new UserError(
        `.dockerignore:${index + 1}: the line is longer than 64 KiB, which Docker cannot read. Shorten it.`,
      );
    let line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (index === 0 && line.startsWith("\uFEFF")) line = line.slice(1);
    if (line.startsWith("#")) return;
    let pattern = goTrimSpace(line);
    if (pattern === "") return;
    const invert = pattern.startsWith("!");
    if (invert) pattern = goTrimSpace(pattern.slice(1));
    if (pattern.length > 0) {
      pattern = goClean(pattern);
      if (pattern.length > 1 && pattern.startsWith("/")) pattern = pattern.slice(1);
    }
    out.push({ pattern: invert ? `!${pattern}` : pattern, line: index + 1 });
  });
  return out;
}

/** Reads the text of a `.dockerignore` file into a predicate over context-relative POSIX paths. */
export function parseDockerignore(text: string): IgnoreMatcher {
  const patterns: Pattern[] = [];
  for (const { pattern: read, line } of readPatterns(text)) {
    // patternmatcher.New trims and cleans once more, then takes the `!`.
    let p = goTrimSpace(read);
    if (p === "") continue;
    p = goClean(p);
    const exclusion = p.startsWith("!");
    const bad = (why: string) =>
      new UserError(`.dockerignore:${line}: ${why}, so Docker would refuse to build. Fix or remove the line.`);
    if (exclusion && p.length === 1) throw bad(`a lone "!" excludes nothing`);
    if (exclusion) p = p.slice(1);
    if (!validGlob(p))
      throw bad(
        `the pattern ${JSON.stringify(p)} has a syntax error (an unclosed [, an empty or reversed range, or a trailing \\)`,
      );
    const { kind, source } = compile(p);
    let regexp: RegExp | undefined;
    if (kind === "regexp") {
      try {
        regexp = goRegexp(source);
      } catch (err) {
        if (!(err instanceof GoRegexpError)) throw err;
        throw bad(`the pattern ${JSON.stringify(p)} has a syntax error (${err.message})`);
      }
    }
    patterns.push({ cleaned: p, exclusion, kind, regexp });
  }
  const matcher = (relativePath: string) => {
    const parent = posix.dirname(relativePath);
    const parentDirs = parent === "." ? [] : parent.split("/");
    let matched = false;
    for (const pattern of patterns) {
      // An exception only matters to an excluded path, an exclusion only to one that is not (yet).
      if (pattern.exclusion !== matched) continue;
      let match = matchOne(pattern, relativePath);
      for (let i = 1; !match && i <= parentDirs.length; i++)
        match = matchOne(pattern, parentDirs.slice(0, i).join("/"));
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  };
  return Object.assign(matcher, { hasExceptions: patterns.some((p) => p.exclusion) });
}
