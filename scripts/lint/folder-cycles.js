#!/usr/bin/env node
/**
 * Fails when folders of `src/` and `runtime/` import each other in a cycle (`src/a -> src/b -> src/a`), tests
 * excepted. A cycle means two folders are one capability in two places, or a shared piece wants its own folder.
 * Run by `npm run lint`; prints each cycle with one import per edge, so the fix is easy to find.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");
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

/** `src/schema` for a file in src/schema/…; undefined for the shared files at the top of a tree. */
function folderOf(file) {
  const parts = path.relative(root, file).split(path.sep);
  return TREES.includes(parts[0]) && parts.length >= 3 ? `${parts[0]}/${parts[1]}` : undefined;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*["'](\.[^"']+)["']|\bimport\(\s*["'](\.[^"']+)["']\s*\)/g;
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
function visit(node) {
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
}
for (const node of edges.keys()) if (!state.has(node)) visit(node);

if (components.length === 0) {
  console.log("folder-cycles: no import cycle between folders of src/ and runtime/");
} else {
  for (const component of components) {
    console.error(`folder-cycles: these folders import each other in a cycle: ${component.sort().join(", ")}`);
    for (const from of component) {
      for (const [to, example] of edges.get(from) ?? []) {
        if (component.includes(to)) console.error(`  ${from} -> ${to}: ${example}`);
      }
    }
  }
  process.exit(1);
}
