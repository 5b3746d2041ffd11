/**
 * A `.dockerignore` matcher with Docker's semantics: patterns are anchored at the context root (a leading `/` is
 * dropped), `*` and `?` never cross `/`, `**` matches any number of directories, a match on a directory excludes
 * everything under it, lines starting with `!` re-include, the last matching line wins, `#` starts a comment.
 */

interface Rule {
  regex: RegExp;
  negate: boolean;
}

function patternToRegex(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") {
          i++;
          source += "(?:.*/)?";
        } else {
          source += ".*";
        }
      } else {
        source += "[^/]*";
      }
    } else if (c === "?") {
      source += "[^/]";
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) {
        source += "\\[";
      } else {
        source += `[${pattern.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (c === "\\" && i + 1 < pattern.length) {
      source += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  // A pattern naming a directory also covers what is inside it.
  return new RegExp(`^${source}(?:/.*)?$`);
}

/** Docker's cleaning of a pattern: trim, drop a leading `/` and `./`, collapse `//`, drop a trailing `/`. */
function cleanPattern(pattern: string): string {
  let cleaned = pattern.trim().replace(/\/{2,}/g, "/");
  while (cleaned.startsWith("./")) cleaned = cleaned.slice(2);
  cleaned = cleaned.replace(/^\/+/, "").replace(/\/+$/, "");
  return cleaned === "" ? "." : cleaned;
}

export interface IgnoreMatcher {
  (relativePath: string): boolean;
  /** With a `!` line, an excluded directory may still hold re-included files, so it must be walked. */
  hasExceptions: boolean;
}

/** Reads the text of a `.dockerignore` file into a predicate over context-relative POSIX paths. */
export function parseDockerignore(text: string): IgnoreMatcher {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const negate = line.startsWith("!");
    const pattern = cleanPattern(negate ? line.slice(1) : line);
    if (pattern === ".") continue;
    rules.push({ regex: patternToRegex(pattern), negate });
  }
  const matcher = (relativePath: string) => {
    let excluded = false;
    for (const rule of rules) {
      if (rule.regex.test(relativePath)) excluded = !rule.negate;
    }
    return excluded;
  };
  return Object.assign(matcher, { hasExceptions: rules.some((rule) => rule.negate) });
}
