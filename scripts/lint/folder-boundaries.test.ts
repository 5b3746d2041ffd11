import path from "node:path";
import { RuleTester } from "eslint";
import { describe, it } from "vitest";
import { folderBoundaries } from "./folder-boundaries.js";

// RuleTester reports through the test framework's describe/it, which vitest does not put on globalThis.
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const tester = new RuleTester({ languageOptions: { ecmaVersion: "latest", sourceType: "module" } });
// The rule resolves specifiers against the file's name and judges folders relative to the working directory.
const file = (relative: string) => path.join(process.cwd(), relative);
const error = (specifier: string, target: string, suggestion: string) => ({
  messageId: "internal",
  data: { specifier, target, suggestion },
});

tester.run("cogts/folder-boundaries", folderBoundaries as never, {
  valid: [
    {
      name: "another folder through its index",
      filename: file("src/a/x.ts"),
      code: 'import { y } from "../b/index.js";',
    },
    { name: "the same folder", filename: file("src/a/x.ts"), code: 'import { y } from "./y.js";' },
    {
      name: "the same folder from a subfolder",
      filename: file("src/a/sub/x.ts"),
      code: 'import { y } from "../y.js";',
    },
    {
      name: "a shared file at the top of src/",
      filename: file("src/a/x.ts"),
      code: 'import { UserError } from "../errors.js";',
    },
    {
      name: "runtime/ through its index",
      filename: file("src/a/x.ts"),
      code: 'import { y } from "../../runtime/b/index.js";',
    },
    {
      name: "packages",
      filename: file("src/a/x.ts"),
      code: 'import Docker from "dockerode"; import { join } from "node:path";',
    },
    {
      name: "a lazy import of an index",
      filename: file("src/a/x.ts"),
      code: 'const { y } = await import("../b/index.js");',
    },
    {
      name: "a unit test reaches internals",
      filename: file("src/a/x.test.ts"),
      code: 'import { y } from "../b/internal.js";',
    },
    {
      name: "files outside src/ and runtime/",
      filename: file("test/a/x.test.ts"),
      code: 'import { y } from "../../src/b/internal.js";',
    },
    {
      name: "scripts outside the trees",
      filename: file("scripts/x.js"),
      code: 'import { y } from "../src/b/internal.js";',
    },
  ],
  invalid: [
    {
      name: "a static import of an internal file",
      filename: file("src/a/x.ts"),
      code: 'import { y } from "../b/internal.js";',
      errors: [error("../b/internal.js", "src/b", "../b/index.js")],
    },
    {
      name: "a lazy import of an internal file",
      filename: file("src/a/sub/x.ts"),
      code: 'const { y } = await import("../../b/internal.js");',
      errors: [error("../../b/internal.js", "src/b", "../../b/index.js")],
    },
    {
      name: "re-exports of an internal file",
      filename: file("src/a/index.ts"),
      code: 'export { y } from "../b/internal.js"; export * from "../b/other.js";',
      errors: [error("../b/internal.js", "src/b", "../b/index.js"), error("../b/other.js", "src/b", "../b/index.js")],
    },
    {
      name: "a file in a subfolder of another folder",
      filename: file("src/a/x.ts"),
      code: 'import { y } from "../b/sub/index.js";',
      errors: [error("../b/sub/index.js", "src/b", "../b/index.js")],
    },
    {
      name: "across the trees",
      filename: file("runtime/worker/main.ts"),
      code: 'import { y } from "../../src/b/internal.js"; import { z } from "../server/channel.js";',
      errors: [
        error("../../src/b/internal.js", "src/b", "../../src/b/index.js"),
        error("../server/channel.js", "runtime/server", "../server/index.js"),
      ],
    },
    {
      name: "a shared file at the top of a tree reaching into a folder",
      filename: file("src/errors.ts"),
      code: 'import { y } from "./b/internal.js";',
      errors: [error("./b/internal.js", "src/b", "./b/index.js")],
    },
  ],
});
