import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { contextIgnorer } from "../build-context/index.js";
import { LARGE_FILE_BYTES, readProjectFacts } from "./project.js";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function project(files: Record<string, string | number>): string {
  dir = mkdtempSync(path.join(tmpdir(), "cogts-facts-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), typeof content === "number" ? Buffer.alloc(content) : content);
  }
  return dir;
}

describe("project facts", () => {
  it("finds large weight files but not large code, media, ignored or node_modules files", async () => {
    const big = LARGE_FILE_BYTES;
    const root = project({
      "package.json": '{ "dependencies": { "sharp": "0.34.5" } }',
      "package-lock.json": '{ "lockfileVersion": 3, "packages": {} }',
      "predict.ts": "export {}",
      "weights/model.onnx": big,
      "weights/small.bin": 10,
      "bundle.js": big,
      "sample.png": big,
      "ignored/huge.bin": big,
      "node_modules/x/lib.node": big,
      ".dockerignore": "ignored\n",
    });
    const facts = await readProjectFacts(root, "cog.yaml", await contextIgnorer(root));
    expect(facts).toEqual({
      configFile: "cog.yaml",
      hasPackageJson: true,
      lockfile: "package-lock.json",
      dependencies: { sharp: "0.34.5" },
      sdkCopies: [],
      hasTsconfig: false,
      hasTypeScript: true,
      weights: ["weights/model.onnx"],
    });
  });

  it("prefers npm-shrinkwrap.json, and knows a JavaScript-only project", async () => {
    const lock = '{ "lockfileVersion": 3, "packages": {} }';
    const root = project({
      "package.json": '{ "dependencies": { "a": "1" } }',
      "npm-shrinkwrap.json": lock,
      "package-lock.json": lock,
      "predict.js": "",
      "types.d.ts": "",
    });
    const facts = await readProjectFacts(root);
    expect(facts.lockfile).toBe("npm-shrinkwrap.json");
    expect(facts.hasTypeScript).toBe(false);
  });

  it("installs nothing for cogts however package.json lists it, and leaves copies of it inside the project out", async () => {
    const root = project({
      "package.json": JSON.stringify({
        dependencies: { cogts: "file:vendor/cogts-0.1.0.tgz" },
        devDependencies: { cogts: "file:../cogts", typescript: "5.9.3" },
        optionalDependencies: { cogts: "./sdk" },
      }),
      "package-lock.json": '{ "lockfileVersion": 3, "packages": {} }',
    });
    const facts = await readProjectFacts(root);
    expect(facts.dependencies).toEqual({});
    // Nothing to install: no lockfile is used, and `npm ci` does not run.
    expect(facts.lockfile).toBeUndefined();
    expect(facts.sdkCopies).toEqual(["sdk", "vendor/cogts-0.1.0.tgz"]);
  });

  it("leaves an old (lockfileVersion 1) lockfile out: npm resolves the pruned package.json", async () => {
    const root = project({
      "package.json": '{ "dependencies": { "a": "1" } }',
      "package-lock.json": '{ "lockfileVersion": 1, "dependencies": {} }',
    });
    expect((await readProjectFacts(root)).lockfile).toBeUndefined();
  });

  it("says which package.json is broken", async () => {
    const root = project({ "package.json": "{ nope" });
    await expect(readProjectFacts(root)).rejects.toThrow(/package\.json is not valid JSON/);
  });
});

describe("build context filter", () => {
  it("always leaves out .cog scratch, node_modules and .git but keeps .cog/build", async () => {
    const root = project({ ".dockerignore": "*.log\n!keep.log\n" });
    const ignored = await contextIgnorer(root);
    expect(ignored(".cog/schema-cache.json", false)).toBe(true);
    expect(ignored(".cog", true)).toBe(false);
    expect(ignored(".cog/build/Dockerfile", false)).toBe(false);
    expect(ignored("node_modules", true)).toBe(true);
    expect(ignored("lib/node_modules/x.js", false)).toBe(true);
    expect(ignored(".git", true)).toBe(true);
    expect(ignored("debug.log", false)).toBe(true);
    expect(ignored("keep.log", false)).toBe(false);
    expect(ignored("predict.ts", false)).toBe(false);
  });
});
