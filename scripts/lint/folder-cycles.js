#!/usr/bin/env node
/**
 * Fails when folders of `src/` and `runtime/` import each other in a cycle (`src/a -> src/b -> src/a`), tests
 * excepted. A cycle means two folders are one capability in two places, or a shared piece wants its own folder.
 * Run by `npm run lint`; prints each cycle with one import per edge, so the fix is easy to find.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const TREES = ["src", "runtime"];

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && entry.name !== "assets") yield* sourceFiles(full);
    } else if (/\.ts$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name)) {
      yield full;
    }
  }
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*["'](\.[^"']+)["']|\bimport\(\s*["'](\.[^"']+)["']\s*\)/g;

/**
 * The folder cycles of the project at `root`: one entry per set of folders that import each other, with one example
 * import ("file imports specifier") per edge inside the set.
 */
export function findFolderCycles(root) {
  /** `src/schema` for a file in src/schema/…; undefined for the shared files at the top of a tree. */
  const folderOf = (file) => {
    const parts = path.relative(root, file).split(path.sep);
    return TREES.includes(parts[0]) && parts.length >= 3 ? `${parts[0]}/${parts[1]}` : undefined;
  };
  /** folder -> folder -> one example "file imports specifier" */
  const edges = new Map();
  for (const tree of TREES) {
    for (const file of sourceFiles(path.join(root, tree))) {
      const from = folderOf(file);
      if (from === undefined) continue;
      for (const match of readFileSync(file, "utf8").matchAll(IMPORT)) {
        const specifier = match[1] ?? match[2];
        const to = folderOf(path.resolve(path.dirname(file), specifier));
        if (to === undefined || to === from) continue;
        if (!edges.has(from)) edges.set(from, new Map());
        if (!edges.get(from).has(to)) edges.get(from).set(to, `${path.relative(root, file)} imports ${specifier}`);
      }
    }
  }

  // Tarjan's strongly connected components: every component with more than one folder holds a cycle.
  let index = 0;
  const stack = [];
  const state = new Map();
  const components = [];
  const visit = (node) => {
    state.set(node, { index, low: index, onStack: true });
    index++;
    stack.push(node);
    for (const next of edges.get(node)?.keys() ?? []) {
      if (!state.has(next)) {
        visit(next);
        state.get(node).low = Math.min(state.get(node).low, state.get(next).low);
      } else if (state.get(next).onStack) {
        state.get(node).low = Math.min(state.get(node).low, state.get(next).index);
      }
    }
    if (state.get(node).low === state.get(node).index) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        state.get(member).onStack = false;
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component);
    }
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node);

  return components.map((component) => {
    const folders = component.sort();
    const examples = [];
    for (const from of folders) {
      for (const [to, example] of edges.get(from) ?? []) {
        if (folders.includes(to)) examples.push(`${from} -> ${to}: ${example}`);
      }
    }
    return { folders, examples };
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const cycles = findFolderCycles(path.resolve(import.meta.dirname, "../.."));
  if (cycles.length === 0) {
    console.log("folder-cycles: no import cycle between folders of src/ and runtime/");
  } else {
    for (const { folders, examples } of cycles) {
      console.error(`folder-cycles: these folders import each other in a cycle: ${folders.join(", ")}`);
      for (const example of examples) console.error(`  ${example}`);
    }
    process.exit(1);
  }
}
