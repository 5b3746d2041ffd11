/**
 * Golden tests for cog.yaml: one folder per case under fixtures/config/. A valid case has `expected.json` (the
 * completed Config); an invalid one has `expected-error.txt` (the error exactly as the CLI prints it, minus
 * "Error: " and the indentation). The config file is `cog.yaml`, or the one other `*.yaml` in the folder (which
 * exercises `-f`). `UPDATE_GOLDENS=1 npx vitest run src/config/golden.test.ts` rewrites the expected files.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./index.js";
import { UserError } from "../errors.js";
import { PACKAGE_ROOT } from "../version.js";
import { UPDATE_GOLDENS as UPDATE } from "../../test/helpers/golden.js";

const FIXTURES = join(PACKAGE_ROOT, "fixtures", "config");
const cases = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function configFileOf(dir: string): string {
  if (existsSync(join(dir, "cog.yaml"))) return "cog.yaml";
  return readdirSync(dir).find((name) => name.endsWith(".yaml")) ?? "cog.yaml";
}

/** The error as text, with the machine-specific fixture path replaced so goldens are the same everywhere. */
function errorText(err: UserError, dir: string): string {
  return [err.message, ...err.problems].join("\n").replaceAll(dir, "<DIR>") + "\n";
}

describe("cog.yaml golden cases", () => {
  it("has at least 25 cases, valid and invalid", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    expect(cases.some((c) => c.startsWith("valid-"))).toBe(true);
    expect(cases.some((c) => c.startsWith("error-"))).toBe(true);
  });

  for (const name of cases) {
    it(name, async () => {
      const dir = join(FIXTURES, name);
      const expectedConfig = join(dir, "expected.json");
      const expectedError = join(dir, "expected-error.txt");
      let actual: { kind: "config"; text: string } | { kind: "error"; text: string };
      try {
        const config = await loadConfig(dir, configFileOf(dir));
        actual = { kind: "config", text: JSON.stringify(config, null, 2) + "\n" };
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        actual = { kind: "error", text: errorText(err, dir) };
      }
      if (UPDATE) {
        rmSync(expectedConfig, { force: true });
        rmSync(expectedError, { force: true });
        writeFileSync(actual.kind === "config" ? expectedConfig : expectedError, actual.text);
        return;
      }
      // The folder name says which outcome the case pins, so a golden rewrite cannot silently flip it.
      expect(actual.kind).toBe(name.startsWith("valid-") ? "config" : "error");
      const golden = actual.kind === "config" ? expectedConfig : expectedError;
      expect(
        existsSync(golden),
        `${golden} is missing: run UPDATE_GOLDENS=1 npx vitest run src/config/golden.test.ts`,
      ).toBe(true);
      expect(actual.text).toBe(readFileSync(golden, "utf8"));
    });
  }
});
