import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkRelativeImports } from "./import-check.js";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  dir = mkdtempSync(path.join(tmpdir(), "cogts-imports-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

describe("relative imports the image could not resolve", () => {
  it("refuses extensionless files and folders in an ES-module project, each at file:line:col with the fix", async () => {
    const root = project({
      "package.json": '{ "type": "module" }',
      "predict.ts":
        'import { a } from "./helper";\nimport { b } from "./lib";\nexport { c } from "./c.js";\nconst d = await import("./sub/d");\nimport "./data.json";\nimport x from "some-package";\n',
      "helper.ts": "export const a = 1;",
      "lib/index.ts": "export const b = 1;",
      "c.ts": "export const c = 1;",
      "sub/d.mts": "export const d = 1;",
      "data.json": "{}",
      "node_modules/p/x.ts": 'import "./y";',
    });
    expect(await checkRelativeImports(root)).toEqual([
      'predict.ts:1:19: "./helper" names no file Node can load in an ES module (the image runs the compiled JavaScript, where Node adds no extension): write "./helper.js"',
      'predict.ts:2:19: "./lib" names no file Node can load in an ES module (the image runs the compiled JavaScript, where Node adds no extension): write "./lib/index.js"',
      'predict.ts:4:24: "./sub/d" names no file Node can load in an ES module (the image runs the compiled JavaScript, where Node adds no extension): write "./sub/d.mjs"',
    ]);
  });

  it("allows them in a CommonJS project, where require finds ./helper.js in the image too, but not in its .mts files", async () => {
    const root = project({
      "package.json": "{}",
      "predict.ts": 'import { a } from "./helper";\n',
      "helper.ts": "export const a = 1;",
      "esm.mts": 'import { a } from "./helper";\n',
    });
    expect(await checkRelativeImports(root)).toEqual([
      'esm.mts:1:19: "./helper" names no file Node can load in an ES module (the image runs the compiled JavaScript, where Node adds no extension): write "./helper.js"',
    ]);
  });
});
