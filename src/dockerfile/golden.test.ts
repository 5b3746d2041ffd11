/**
 * Golden Dockerfiles: each folder of fixtures/dockerfile holds a cog.yaml (or another config file), maybe a
 * package.json, a case.json with project facts and generator options, and the expected Dockerfile.
 * Rewrite the goldens with:  UPDATE_GOLDENS=1 npx vitest run src/dockerfile/golden.test.ts
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/index.js";
import { generateDockerfile, type DockerfileOptions } from "./generate.js";
import type { ProjectFacts } from "./project.js";
import { expectGolden } from "../../test/helpers/golden.js";

const CASES = path.resolve(import.meta.dirname, "../../fixtures/dockerfile");

interface Case {
  configFile?: string;
  facts?: Partial<ProjectFacts>;
  options?: DockerfileOptions;
}

async function render(dir: string): Promise<string> {
  const spec: Case = existsSync(path.join(dir, "case.json"))
    ? JSON.parse(readFileSync(path.join(dir, "case.json"), "utf8"))
    : {};
  const configFile = spec.configFile ?? "cog.yaml";
  const config = await loadConfig(dir, configFile);
  const packagePath = path.join(dir, "package.json");
  const pkg = existsSync(packagePath)
    ? (JSON.parse(readFileSync(packagePath, "utf8")) as { dependencies?: Record<string, string> })
    : undefined;
  const facts: ProjectFacts = {
    configFile,
    hasPackageJson: pkg !== undefined,
    dependencies: pkg?.dependencies ?? {},
    hasTsconfig: true,
    hasTypeScript: true,
    weights: [],
    ...spec.facts,
  };
  return generateDockerfile(config, { openapi: "3.0.2" }, facts, spec.options);
}

describe("golden Dockerfiles", () => {
  const cases = readdirSync(CASES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

  it("has at least 15 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  for (const name of cases) {
    it(`generates ${name}`, async () => {
      const dir = path.join(CASES, name);
      const actual = await render(dir);
      expectGolden(actual, path.join(dir, "Dockerfile"));
    });
  }
});
