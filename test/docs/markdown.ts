/** Code blocks of the Markdown pages, and the command lines in their shell blocks. */
import { readFileSync } from "node:fs";

export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence */
  line: number;
  lang: string;
  code: string;
}

export function codeBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    blocks.push({ file, line: start + 1, lang: open[1] ?? "", code: body.join("\n") });
  }
  return blocks;
}

/** The commands of a shell block: continuation lines joined, comments and prompts (`$ `) removed. */
export function shellCommands(code: string): string[] {
  const joined = code.replace(/\\\n\s*/g, " ");
  return joined
    .split("\n")
    .map((line) =>
      line
        .replace(/^\$ /, "")
        .replace(/\s+#.*$/, "")
        .trim(),
    )
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** Splits a command line into words, honouring single and double quotes (enough for documentation). */
export function words(command: string): string[] {
  const result: string[] = [];
  const pattern = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let current = "";
  let lastEnd = -1;
  for (const match of command.matchAll(pattern)) {
    const text = match[1] ?? match[2] ?? match[3] ?? "";
    if (match.index === lastEnd) current += text;
    else {
      if (lastEnd >= 0) result.push(current);
      current = text;
    }
    lastEnd = match.index + match[0].length;
  }
  if (lastEnd >= 0) result.push(current);
  return result;
}

/** Splits a command line at `&&`, `||`, `|` and `;` outside quotes and `$(...)`. */
export function commandParts(line: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quote: string | undefined;
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quote) {
      if (char === "\\" && quote === '"') {
        current += char + (line[++i] ?? "");
        continue;
      }
      if (char === quote) quote = undefined;
      else if (char === "$" && line[i + 1] === "(" && quote === '"') depth++;
      current += char;
      continue;
    }
    if (char === "'" || char === '"') quote = char;
    else if (char === "$" && line[i + 1] === "(") depth++;
    else if (char === ")" && depth > 0) depth--;
    else if (depth === 0 && (char === "|" || char === ";" || (char === "&" && line[i + 1] === "&"))) {
      parts.push(current.trim());
      current = "";
      if (line[i + 1] === char) i++;
      continue;
    }
    current += char;
  }
  parts.push(current.trim());
  return parts.filter((part) => part !== "");
}
