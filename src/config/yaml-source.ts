/**
 * cog.yaml as data plus the means to point back into the text: every problem the loader finds is reported at a
 * `FILE:LINE:COL` computed here from the yaml library's source ranges.
 */
import {
  LineCounter,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from "yaml";

export type YamlPath = readonly (string | number)[];

/** A problem before it is formatted: where it is (a path into the document) and what to say. */
export interface Problem {
  path: YamlPath;
  /** Point at the key of the last path segment rather than its value (unknown keys, exclusive keys). */
  at?: "key" | "value";
  message: string;
}

export interface Position {
  line: number;
  col: number;
  offset: number;
}

export interface YamlSource {
  /** The document as plain data, with null values removed from mappings (Cog treats them as absent). */
  data: unknown;
  /** YAML syntax problems, already placed. */
  syntaxErrors: { position: Position; message: string }[];
  positionOf(path: YamlPath, at?: "key" | "value"): Position;
  /** The source text of a scalar, e.g. `12.10` for a number the parser read as 12.1. */
  sourceTextOf(path: YamlPath): string | undefined;
}

/** Aliases a document may expand (the yaml library's count: uses of an anchor times the aliases inside it). */
const MAX_ALIAS_COUNT = 100;

export function parseYamlSource(text: string): YamlSource {
  const lineCounter = new LineCounter();
  // uniqueKeys: the library compares each key with every earlier one (quadratic); duplicates are found below instead.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const place = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, col, offset };
  };
  const syntaxErrors = [...doc.errors].map((error) => ({
    position: place(error.pos[0]),
    message: explainSyntaxError(error.code, error.message),
  }));
  // One pass in document order: an alias must follow its anchor, and a key must not repeat in its mapping.
  const anchors = new Set<string>();
  let firstAlias: number | undefined;
  const anchor = (node: { anchor?: string }) => {
    if (node.anchor) anchors.add(node.anchor);
  };
  visit(doc, {
    Scalar: (_, node) => anchor(node),
    Seq: (_, node) => anchor(node),
    Alias(_, alias) {
      firstAlias ??= alias.range?.[0] ?? 0;
      if (!anchors.has(alias.source)) {
        syntaxErrors.push({
          position: place(alias.range?.[0] ?? 0),
          message: `YAML syntax error: the alias *${alias.source} refers to no anchor. Define &${alias.source} before it, or write the value out.`,
        });
      }
    },
    Map(_, map) {
      anchor(map);
      const seen = new Map<unknown, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const offset = pair.key.range?.[0] ?? 0;
        const first = seen.get(pair.key.value);
        if (first === undefined) {
          seen.set(pair.key.value, offset);
          continue;
        }
        syntaxErrors.push({
          position: place(offset),
          message: `YAML syntax error: the key ${JSON.stringify(String(pair.key.value))} appears twice in the same mapping (first at line ${place(first).line}). Keep one of them.`,
        });
      }
    },
  });
  let data: unknown;
  if (syntaxErrors.length === 0) {
    try {
      data = withoutNulls(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }));
    } catch (err) {
      // The library refuses documents whose aliases multiply (a "billion laughs"): a problem of the file, not a crash.
      if (!(err instanceof ReferenceError) || !/alias/i.test(err.message)) throw err;
      syntaxErrors.push({
        position: place(firstAlias ?? 0),
        message:
          "YAML syntax error: the aliases (*name) in this file expand to too much data, as a YAML alias bomb does. Write the values out instead of nesting aliases.",
      });
    }
  }
  return {
    data,
    syntaxErrors,
    positionOf: (path, at = "value") => place(offsetOf(doc, path, at)),
    sourceTextOf(path) {
      const node = doc.getIn(path, true);
      return isScalar(node) && typeof node.source === "string" ? node.source : undefined;
    },
  };
}

/** The yaml library's messages are good; add the fix for the ones users hit most. */
function explainSyntaxError(code: string, message: string): string {
  const first = message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
  switch (code) {
    case "MULTIPLE_DOCS":
      return "YAML syntax error: the file holds more than one YAML document (a second `---`). cog.yaml is one document: remove the `---` line and merge or delete what follows it.";
    case "DUPLICATE_KEY":
      return `YAML syntax error: a key appears twice in the same mapping (${first}). Keep one of them.`;
    case "TAB_AS_INDENT":
      return `YAML syntax error: tabs cannot indent YAML (${first}). Indent with spaces.`;
    case "BAD_INDENT":
    case "MISSING_CHAR":
    case "UNEXPECTED_TOKEN":
    case "BLOCK_AS_IMPLICIT_KEY":
      return `YAML syntax error: ${first}. Check the indentation and the brackets and quotes on this line.`;
    default:
      return `YAML syntax error: ${first}.`;
  }
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => [k, withoutNulls(v)]),
    );
  }
  return value;
}

/** Each mapping's first pair per key, built once: finding a key by scanning would make placing P problems O(P × keys). */
const keyIndex = new WeakMap<object, Map<string, Pair>>();

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  let index = keyIndex.get(map);
  if (!index) {
    index = new Map();
    for (const item of map.items) {
      if (!isScalar(item.key)) continue;
      const name = String(item.key.value);
      if (!index.has(name)) index.set(name, item);
    }
    keyIndex.set(map, index);
  }
  return index.get(key);
}

/** Offset of the node at `path`, or of the deepest ancestor that exists (a missing key is reported at its mapping). */
function offsetOf(doc: Document, path: YamlPath, at: "key" | "value"): number {
  let node: unknown = doc.contents;
  let best = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = pairOf(node, String(segment));
      if (!pair) return best;
      const keyStart = rangeStart(pair.key);
      if (last && at === "key" && keyStart !== undefined) return keyStart;
      node = pair.value;
      // `key:` with no value has no value node: point at the key.
      best = rangeStart(node) ?? keyStart ?? best;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
      best = rangeStart(node) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
