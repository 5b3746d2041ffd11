/**
 * Python's grammar for the static schema reader: web-tree-sitter (WebAssembly, no native build) with the
 * tree-sitter-python grammar's .wasm from npm, the same parser family Cog's Go generator uses. Both .wasm files are
 * in node_modules: nothing is downloaded at run time. Loaded once per process, on first use (about 40 ms).
 */
import { createRequire } from "node:module";
import type { Language, Node, Parser, Tree } from "web-tree-sitter";

export type { Node, Tree };

let loading: Promise<Parser> | undefined;

async function load(): Promise<Parser> {
  const { Parser: ParserClass, Language: LanguageClass } = await import("web-tree-sitter");
  const require = createRequire(import.meta.url);
  await ParserClass.init({ locateFile: () => require.resolve("web-tree-sitter/tree-sitter.wasm") });
  const language: Language = await LanguageClass.load(require.resolve("tree-sitter-python/tree-sitter-python.wasm"));
  const parser = new ParserClass();
  parser.setLanguage(language);
  return parser;
}

/** A parser for Python source (shared: parsing is synchronous, so callers never interleave). */
export function pythonParser(): Promise<Parser> {
  loading ??= load();
  return loading;
}

/**
 * The first ERROR or MISSING node of a tree, for a syntax error message. A loop, not recursion: a hostile file
 * nested thousands of levels deep must not overflow the stack.
 */
export function firstSyntaxError(root: Node): Node | undefined {
  if (!root.hasError) return undefined;
  let node = root;
  for (;;) {
    if (node.isError || node.isMissing) return node;
    const next = node.children.find((child) => child !== null && (child.hasError || child.isMissing));
    if (!next) return node;
    node = next;
  }
}
