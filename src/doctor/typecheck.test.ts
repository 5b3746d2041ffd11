/**
 * The type check of `cog doctor` and `cog build` (src/doctor/typecheck.ts) on real projects in temporary folders,
 * with the real compiler. None of these projects has installed cogts or @types/node: the check supplies them.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { typecheckProject } from "./typecheck.js";

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "cogts-typecheck-"));
  write(dir, files);
  return dir;
}

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

const ESM = JSON.stringify({ name: "model", private: true, type: "module" });

/** A predictor that uses the SDK, Node's modules and its globals: clean only if cogts and Node types resolve. */
const PREDICTOR = `import { readFile } from "node:fs/promises";
import { BasePredictor, Input, Path } from "cogts";
import { shout } from "./helper.js";

export class Predictor extends BasePredictor {
  async predict(prompt: string = Input({ description: "Text" }), image: Path | null = Input({ default: null })): Promise<string> {
    const size = image ? (await readFile(image.path)).length : 0;
    return \`\${shout(prompt)} \${size} \${process.version}\`;
  }
}
`;
const HELPER = "export function shout(text: string): string {\n  return text.toUpperCase();\n}\n";

describe("typecheckProject", () => {
  it("passes a correct predictor with neither cogts nor @types/node installed, and says what it checked", async () => {
    const dir = project({ "package.json": ESM, "predict.ts": PREDICTOR, "helper.ts": HELPER });
    const result = await typecheckProject({ dir, entries: ["predict.ts"] });
    expect(result).toEqual({ problems: [], notes: [], files: 2, tsconfig: undefined });
  });

  it("reports a syntax error with file:line:col", async () => {
    const dir = project({
      "package.json": ESM,
      "predict.ts": PREDICTOR.replace("return `", "return (`"),
      "helper.ts": HELPER,
    });
    const { problems } = await typecheckProject({ dir, entries: ["predict.ts"] });
    expect(problems).toEqual(["predict.ts:8:58: ')' expected. (TS1005)"]);
  });

  it("reports a type error in predict.ts and one in a helper it imports, each with file:line:col", async () => {
    const dir = project({
      "package.json": ESM,
      "predict.ts": PREDICTOR.replace("const size =", "const size: string ="),
      "helper.ts": HELPER.replace("toUpperCase()", "toUpperCase(1)"),
    });
    const { problems } = await typecheckProject({ dir, entries: ["predict.ts"] });
    expect(problems).toEqual([
      "helper.ts:2:27: Expected 0 arguments, but got 1. (TS2554)",
      "predict.ts:7:11: Type 'number' is not assignable to type 'string'. (TS2322)",
    ]);
  });

  it("ignores errors inside node_modules, even with skipLibCheck off, and uses the project's own cogts when it has one", async () => {
    const dir = project({
      "package.json": JSON.stringify({ type: "module", dependencies: { broken: "1.0.0" } }),
      "tsconfig.json": JSON.stringify({
        compilerOptions: { module: "NodeNext", strict: true, skipLibCheck: false, types: [] },
      }),
      "predict.ts":
        'import { twice } from "broken";\nimport { marker } from "cogts";\nexport const value: number = twice(marker);\n',
      "node_modules/broken/package.json": JSON.stringify({
        name: "broken",
        type: "module",
        exports: { ".": { types: "./index.ts" } },
      }),
      "node_modules/broken/index.ts":
        "export function twice(n: number): number {\n  const wrong: string = n;\n  return n * 2\n}\nlet = ;\n",
      "node_modules/cogts/package.json": JSON.stringify({ name: "cogts", type: "module", types: "index.d.ts" }),
      "node_modules/cogts/index.d.ts": "export declare const marker: number;\nexport declare const bad: Missing;\n",
    });
    const result = await typecheckProject({ dir, entries: ["predict.ts"] });
    expect(result.problems).toEqual([]);
    expect(result.files).toBe(1);
    expect(result.tsconfig).toBe("tsconfig.json");
  });

  it("makes a dependency that package.json lists but node_modules lacks a note; an unlisted one is a problem", async () => {
    const dir = project({
      "package.json": JSON.stringify({ type: "module", dependencies: { "@scope/listed": "1.0.0", sharp: "0.34.0" } }),
      "predict.ts":
        'import sharp from "sharp";\nimport { thing } from "@scope/listed/sub";\nimport { other } from "unlisted";\nexport const all = [sharp, thing, other];\n',
    });
    const result = await typecheckProject({ dir, entries: ["predict.ts"] });
    expect(result.problems).toEqual([
      "predict.ts:3:23: Cannot find module 'unlisted' or its corresponding type declarations. (TS2307)",
    ]);
    expect(result.notes).toEqual([
      "sharp is in package.json but not installed here: code using it was not type-checked (run npm install to check it).",
      "@scope/listed is in package.json but not installed here: code using it was not type-checked (run npm install to check it).",
    ]);
  });

  it("follows tsconfig.json (strict here), and still checks the predictor when tsconfig.json leaves it out", async () => {
    const loose = "export function f(x) {\n  return x;\n}\n";
    const dir = project({
      "package.json": ESM,
      "tsconfig.json": JSON.stringify({
        compilerOptions: { strict: true, module: "NodeNext" },
        include: ["src/**/*.ts"],
      }),
      "src/util.ts": loose,
      "predict.ts": loose,
    });
    const { problems } = await typecheckProject({ dir, entries: ["predict.ts"] });
    expect(problems).toEqual([
      "predict.ts:1:19: Parameter 'x' implicitly has an 'any' type. (TS7006)",
      "src/util.ts:1:19: Parameter 'x' implicitly has an 'any' type. (TS7006)",
    ]);
    // Without tsconfig.json, cogts's defaults are not strict (as tsc's are not).
    rmSync(join(dir, "tsconfig.json"));
    expect((await typecheckProject({ dir, entries: ["predict.ts"] })).problems).toEqual([]);
  });

  it("checks what the build's one-file-at-a-time transpiler needs (isolatedModules), whatever tsconfig.json says", async () => {
    const dir = project({
      "package.json": ESM,
      "tsconfig.json": JSON.stringify({ compilerOptions: { module: "NodeNext", isolatedModules: false } }),
      "types.ts": "export interface Options { size: number }\n",
      "predict.ts": 'export { Options } from "./types.js";\n',
    });
    const { problems } = await typecheckProject({ dir, entries: ["predict.ts"] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^predict\.ts:1:10: Re-exporting a type when .*isolatedModules.* \(TS1205\)$/);
  });

  it("reports a wrong tsconfig.json at its place", async () => {
    const dir = project({
      "tsconfig.json": '{\n  "compilerOptions": {\n    "strictt": true\n  }\n}\n',
      "predict.ts": "export class Predictor {}\n",
    });
    const { problems } = await typecheckProject({ dir, entries: ["predict.ts"] });
    expect(problems).toEqual(["tsconfig.json:3:5: Unknown compiler option 'strictt'. Did you mean 'strict'? (TS5025)"]);
  });

  it("checks without a tsconfig.json base that package.json lists but node_modules lacks, and says so", async () => {
    const dir = project({
      "package.json": JSON.stringify({ type: "module", devDependencies: { "@tsconfig/node20": "^20.1.0" } }),
      "tsconfig.json":
        '{\n  "extends": "@tsconfig/node20/tsconfig.json",\n  "compilerOptions": { "strict": true }\n}\n',
      "predict.ts": "export function f(x) {\n  return x;\n}\n",
    });
    const result = await typecheckProject({ dir, entries: ["predict.ts"] });
    expect(result.problems).toEqual(["predict.ts:1:19: Parameter 'x' implicitly has an 'any' type. (TS7006)"]);
    expect(result.notes).toEqual([
      "tsconfig.json extends a file of @tsconfig/node20, which package.json lists but is not installed here: checked without its options (run npm install to use them).",
    ]);
    // A base that is neither installed nor listed is the author's mistake.
    write(dir, { "package.json": ESM });
    expect((await typecheckProject({ dir, entries: ["predict.ts"] })).problems).toContain(
      "tsconfig.json:2:14: File '@tsconfig/node20/tsconfig.json' not found. (TS6053)",
    );
  });

  it("caches a result by what it read: an edit, a new file and an npm install each invalidate it", async () => {
    const source = (y: string) => `import { n } from "lib";\nexport const x: number = 1;\nexport const y${y} = n;\n`;
    const dir = project({
      "package.json": JSON.stringify({ type: "module", dependencies: { lib: "1.0.0" } }),
      "tsconfig.json": JSON.stringify({ compilerOptions: { module: "NodeNext", strict: true } }),
      "predict.ts": source(": number"),
    });
    const check = () => typecheckProject({ dir, entries: ["predict.ts"] });
    expect((await check()).problems).toEqual([]);
    // A hit answers from .cog/typecheck-cache.json: a marker put there comes back.
    const cacheFile = join(dir, ".cog", "typecheck-cache.json");
    const cache = JSON.parse(readFileSync(cacheFile, "utf8")) as Record<string, { result: { notes: string[] } }>;
    for (const entry of Object.values(cache)) entry.result.notes = ["from the cache"];
    writeFileSync(cacheFile, JSON.stringify(cache));
    expect((await check()).notes).toEqual(["from the cache"]);

    write(dir, { "predict.ts": source(": number").replace("number = 1", 'number = "1"') });
    expect((await check()).problems).toEqual([
      "predict.ts:2:14: Type 'string' is not assignable to type 'number'. (TS2322)",
    ]);
    write(dir, { "predict.ts": source(": number"), "extra/other.ts": "export const z: boolean = 0;\n" });
    expect((await check()).problems).toEqual([
      "extra/other.ts:1:14: Type 'number' is not assignable to type 'boolean'. (TS2322)",
    ]);
    rmSync(join(dir, "extra"), { recursive: true });
    const before = await check();
    expect(before.problems).toEqual([]);
    expect(before.notes).toHaveLength(1);
    // npm install brings lib's types (and writes node_modules/.package-lock.json): y is now a string, not any.
    write(dir, {
      "node_modules/lib/package.json": JSON.stringify({ name: "lib", type: "module", types: "index.d.ts" }),
      "node_modules/lib/index.d.ts": "export declare const n: string;\n",
      "node_modules/.package-lock.json": "{}",
    });
    const installed = await check();
    expect(installed.notes).toEqual([]);
    expect(installed.problems).toEqual(["predict.ts:3:14: Type 'string' is not assignable to type 'number'. (TS2322)"]);
    // Five cold checks: give a loaded machine room.
  }, 180_000);

  it("sees a dependency installed in a workspace folder above the project after a cached run", async () => {
    const workspace = project({ "package.json": JSON.stringify({ private: true, workspaces: ["model"] }) });
    const dir = join(workspace, "model");
    write(dir, {
      "package.json": JSON.stringify({ type: "module", dependencies: { lib: "1.0.0" } }),
      "predict.ts": 'import { n } from "lib";\nexport const y: number = n;\n',
    });
    expect((await typecheckProject({ dir, entries: ["predict.ts"] })).notes).toHaveLength(1);
    write(workspace, {
      "node_modules/lib/package.json": JSON.stringify({ name: "lib", type: "module", types: "index.d.ts" }),
      "node_modules/lib/index.d.ts": "export declare const n: string;\n",
      "node_modules/.package-lock.json": "{}",
    });
    expect((await typecheckProject({ dir, entries: ["predict.ts"] })).problems).toEqual([
      "predict.ts:2:14: Type 'string' is not assignable to type 'number'. (TS2322)",
    ]);
  });

  it("has nothing to check in a project without TypeScript", async () => {
    const dir = project({ "predict.py": "print(1)\n" });
    expect(await typecheckProject({ dir, entries: ["predict.py"] })).toEqual({
      problems: [],
      notes: [],
      files: 0,
      tsconfig: undefined,
    });
  });
});
