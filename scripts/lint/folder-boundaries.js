/**
 * ESLint rule `cogts/folder-boundaries`: code in one folder of `src/` or `runtime/` reaches another folder only
 * through that folder's `index.ts`, its API. Files at the top of `src/` or `runtime/` (errors, version, …) are
 * shared modules anyone may import. Tests are exempt: a unit test beside the code and an integration test under
 * `test/` may reach internals on purpose.
 *
 * There is one entry point per folder, no second one for insiders: when an index.ts is also a public API
 * (runtime/sdk/index.ts is the npm package `cogts`), what other folders share beside it gets its own folder
 * (runtime/scope: the worker sets the prediction scope, the SDK reads it). A folder run as a process (src/cli,
 * runtime/server, runtime/worker) has an index.ts too; it names the entry point to start. An index.ts that loads
 * heavy packages (src/docker/index.ts: dockerode) is imported lazily, with `await import(...)`, which this rule
 * checks like a static import.
 */
import path from "node:path";

const TREES = ["src", "runtime"];

/** `src/schema` for `<root>/src/schema/python/x.ts`; undefined for files at the top of a tree or outside them. */
function folderOf(root, file) {
  const parts = path.relative(root, file).split(path.sep);
  if (!TREES.includes(parts[0]) || parts.length < 3) return undefined;
  return `${parts[0]}/${parts[1]}`;
}

export const folderBoundaries = {
  meta: {
    type: "problem",
    docs: { description: "reach another folder of src/ or runtime/ only through its index.ts" },
    schema: [],
    messages: {
      internal:
        "'{{specifier}}' reaches into {{target}}'s internals; import from '{{suggestion}}' (export it there if it is missing)",
    },
  },
  create(context) {
    const file = context.filename;
    if (/\.test\.ts$/.test(file)) return {};
    const root = context.cwd;
    const from = folderOf(root, file);
    if (from === undefined && !TREES.some((tree) => path.relative(root, file).startsWith(`${tree}${path.sep}`))) {
      return {};
    }
    const check = (node, source) => {
      if (!source || typeof source.value !== "string" || !source.value.startsWith(".")) return;
      const target = path.resolve(path.dirname(file), source.value).replace(/\.js$/, ".ts");
      const to = folderOf(root, target);
      if (to === undefined || to === from) return;
      if (target === path.join(root, to, "index.ts")) return;
      const suggestion = path
        .relative(path.dirname(file), path.join(root, to, "index.js"))
        .split(path.sep)
        .join("/");
      context.report({
        node,
        messageId: "internal",
        data: {
          specifier: source.value,
          target: to,
          suggestion: suggestion.startsWith(".") ? suggestion : `./${suggestion}`,
        },
      });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source.type === "Literal" ? node.source : undefined),
    };
  },
};

export default { rules: { "folder-boundaries": folderBoundaries } };
