/** `cog schema`: prints, writes with -o, reads another config with -f, and serves unchanged sources from the cache. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { schemaCommand } from "../../src/cli/commands/schema.js";
import { UserError } from "../../src/errors.js";
import { cachedSchema, CACHE_FILE, lookupCachedSchema } from "../../src/schema/cache.js";
import { capture } from "../helpers/cli.js";
import { SCHEMA_FIXTURES } from "../helpers/schema-fixtures.js";

let project: string;

beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), "cogts-schema-"));
  cpSync(join(SCHEMA_FIXTURES, "output_imported_interface"), project, { recursive: true });
  rmSync(join(project, ".cog"), { recursive: true, force: true });
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

async function runSchema(
  options: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await schemaCommand.run({
    options: { file: "cog.yaml", ...options },
    positionals: [],
    rest: [],
    stdout: stdout.stream,
    stderr: stderr.stream,
    cwd: project,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const golden = () =>
  JSON.parse(readFileSync(join(SCHEMA_FIXTURES, "output_imported_interface", "openapi.json"), "utf8")) as {
    info: { version: string };
  };
const withoutVersion = (text: string) => {
  const document = JSON.parse(text) as { info: { version: string } };
  return { ...document, info: { ...document.info, version: "<cogts version>" } };
};

describe("cog schema", () => {
  it("prints the document as 2-space JSON", async () => {
    const { code, stdout } = await runSchema();
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\{\n {2}"components": \{/);
    expect(withoutVersion(stdout)).toEqual(golden());
  });

  it("writes the document to the file given with -o", async () => {
    const { stdout, stderr } = await runSchema({ output: "schema.json" });
    expect(stdout).toBe("");
    expect(stderr).toContain("schema.json");
    expect(withoutVersion(readFileSync(join(project, "schema.json"), "utf8"))).toEqual(golden());
  });

  it("reads another config file with -f", async () => {
    writeFileSync(join(project, "other.yaml"), 'build:\n  node_version: "22"\nrun: "predict.ts:Nope"\n');
    const error = await runSchema({ file: "other.yaml" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).problems).toEqual([
      "predict.ts:5:1: no class or function Nope in predict.ts (classes here: Predictor; write `export class Nope extends BasePredictor { … }` or `export async function Nope(…) { … }`, or fix the name in cog.yaml)",
    ]);
  });

  it("points at the run: line of cog.yaml when the ref names no class", async () => {
    writeFileSync(join(project, "cog.yaml"), 'build:\n  node_version: "22"\nrun: "predict.ts"\n');
    const error = await runSchema().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect([(error as UserError).message, ...(error as UserError).problems].join("\n")).toMatch(
      /^cog\.yaml.*\n?.*cog\.yaml:3:/s,
    );
  });

  it("caches the result with the hash of cog.yaml and of every file read", async () => {
    await runSchema();
    const cache = JSON.parse(readFileSync(join(project, CACHE_FILE), "utf8")) as {
      entries: Record<string, { files: Record<string, string> }>;
    };
    expect(Object.keys(cache.entries["cog.yaml"]!.files).sort()).toEqual([
      "cog.yaml",
      "detail.ts",
      "predict.ts",
      "types.ts",
    ]);
    const second = await cachedSchema(project, "cog.yaml", () =>
      Promise.reject(new Error("must not read the config on a hit")),
    );
    expect(second.fromCache).toBe(true);
  });

  it("regenerates when a file imported by the predictor changes", async () => {
    await runSchema();
    writeFileSync(join(project, "detail.ts"), "export type Detail = { upper: string; lower: string };\n");
    expect(lookupCachedSchema(project, "cog.yaml")).toBeUndefined();
    const { stdout } = await runSchema();
    expect(JSON.parse(stdout).components.schemas.Output.properties.detail.required).toEqual(["upper", "lower"]);
    expect(lookupCachedSchema(project, "cog.yaml")).toBeDefined();
  });

  it("does not cache failures", async () => {
    writeFileSync(join(project, "predict.ts"), "export class Predictor {}\n");
    await expect(runSchema()).rejects.toBeInstanceOf(UserError);
    expect(lookupCachedSchema(project, "cog.yaml")).toBeUndefined();
  });
});
