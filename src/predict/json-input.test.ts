/** `--json` inputs (inline, @file, stdin) and `-i` values that checkInputs, not the parser, refuses. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { buildInputs, readJsonInput } from "./io.js";

const openapi = {
  components: {
    schemas: {
      Input: {
        type: "object",
        properties: { s: { type: "string" }, n: { type: "integer" }, f: { type: "string", format: "uri" } },
      },
    },
  },
};

describe("readJsonInput", () => {
  it("reads inline JSON, a file (@path) and stdin (@- or -)", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "json-input-"));
    writeFileSync(join(cwd, "input.json"), '{\n  "s": "sackfield"\n}\n');
    expect(await readJsonInput('{"s": "inline", "n": 2}', { cwd })).toEqual({ s: "inline", n: 2 });
    expect(await readJsonInput("@input.json", { cwd })).toEqual({ s: "sackfield" });
    for (const flag of ["@-", "-"])
      expect(await readJsonInput(flag, { cwd, stdin: Readable.from(['{"s": "piped"}']) })).toEqual({ s: "piped" });
  });

  it("turns @path strings into files, after checking the names", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "json-input-"));
    writeFileSync(join(cwd, "photo.png"), "pixels");
    expect(await readJsonInput('{"f": "@photo.png"}', { cwd, filesAsDataUrls: true })).toEqual({
      f: expect.stringMatching(/^data:image\/png;name=photo\.png;base64,/),
    });
    expect(await readJsonInput('{"f": "@photo.png"}', { cwd })).toEqual({ f: join(cwd, "photo.png") });
    const refuse = (names: string[]) => {
      if (names.includes("nope")) throw new Error("unknown input");
    };
    await expect(readJsonInput('{"nope": "@missing.png"}', { cwd, checkNames: refuse })).rejects.toThrow(
      "unknown input",
    );
  });

  it("refuses text that is not a JSON object", async () => {
    await expect(readJsonInput("{nope", { cwd: "/" })).rejects.toThrow(/^Failed to parse JSON/);
    await expect(readJsonInput("[1]", { cwd: "/" })).rejects.toThrow(/must be a JSON object/);
    await expect(readJsonInput("@/no/such/file.json", { cwd: "/" })).rejects.toThrow(/^Failed to read JSON from file/);
  });
});

describe("buildInputs", () => {
  it("leaves values it cannot type, and unknown names, for the schema check to report", () => {
    expect(buildInputs(["n=lots", "nope=1"], openapi, { cwd: "/" })).toEqual({ n: "lots", nope: "1" });
  });

  it("types values by the schema and takes a double-quoted value's text", () => {
    expect(buildInputs(["n=3", 's="a b"'], openapi, { cwd: "/" })).toEqual({ n: 3, s: "a b" });
    expect(buildInputs(["n=1", "n=2", "n=3"], openapi, { cwd: "/" })).toEqual({ n: [1, 2, 3] });
  });
});
