import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findFolderCycles } from "./folder-cycles.js";

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

/** A project with `files` (relative path -> content) and an empty runtime/. */
function project(files: Record<string, string>): string {
  root = mkdtempSync(path.join(tmpdir(), "folder-cycles-"));
  mkdirSync(path.join(root, "runtime"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

describe("findFolderCycles", () => {
  it("finds none when folders import one way", () => {
    const dir = project({
      "src/a/index.ts": 'export { b } from "../b/index.js";\n',
      "src/b/index.ts": 'import { UserError } from "../errors.js";\nexport const b = 1;\n',
      "src/errors.ts": "export class UserError extends Error {}\n",
    });
    expect(findFolderCycles(dir)).toEqual([]);
  });

  it("names the folders of a cycle with one import per edge, lazy imports included", () => {
    const dir = project({
      "src/a/index.ts": 'export { b } from "../b/index.js";\n',
      "src/b/index.ts": 'export async function b() {\n  return (await import("../c/x.js")).c;\n}\n',
      "src/c/x.ts": 'import { a } from "../a/index.js";\nexport const c = a;\n',
    });
    expect(findFolderCycles(dir)).toEqual([
      {
        folders: ["src/a", "src/b", "src/c"],
        examples: [
          "src/a -> src/b: src/a/index.ts imports ../b/index.js",
          "src/b -> src/c: src/b/index.ts imports ../c/x.js",
          "src/c -> src/a: src/c/x.ts imports ../a/index.js",
        ],
      },
    ]);
  });

  it("leaves tests out", () => {
    const dir = project({
      "src/a/index.ts": 'export { b } from "../b/index.js";\n',
      "src/b/index.ts": "export const b = 1;\n",
      "src/b/b.test.ts": 'import { a } from "../a/index.js";\n',
    });
    expect(findFolderCycles(dir)).toEqual([]);
  });
});
