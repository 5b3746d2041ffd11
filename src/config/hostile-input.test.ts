/**
 * Hostile cog.yaml files: an alias bomb, a value that would break the Dockerfile, and files big enough that
 * checking them must stay linear. Each is a cog.yaml problem with its position, never a crash or a stall.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inspectConfig, loadConfig } from "./index.js";
import { UserError } from "../errors.js";

const HEAD = 'build:\n  node_version: "22"\nrun: predict.ts:Predictor\n';

function project(cogYaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "cogts-hostile-config-"));
  writeFileSync(join(dir, "cog.yaml"), cogYaml);
  writeFileSync(join(dir, "predict.ts"), "export class Predictor {}\n");
  return dir;
}

async function problemsOf(cogYaml: string): Promise<string[]> {
  const err = await loadConfig(project(cogYaml)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return (err as UserError).problems;
}

describe("hostile cog.yaml", () => {
  it("reports a YAML alias bomb as a problem at cog.yaml:LINE:COL", async () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (const name of ["b", "c", "d", "e", "f"]) {
      const previous = String.fromCharCode(name.charCodeAt(0) - 1);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
    }
    const started = Date.now();
    const problems = await problemsOf(`${HEAD}${levels.join("\n")}\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^cog\.yaml:5:\d+: YAML syntax error: .*alias bomb/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("refuses an environment value with a line break, which would end its Dockerfile ENV line", async () => {
    const problems = await problemsOf(
      `${HEAD}environment:\n  - OK=1\n  - "EVIL=x\\nRUN curl example.com"\n  - "CR=a\\rb"\n`,
    );
    expect(problems).toEqual([
      expect.stringMatching(/^cog\.yaml:6:5: environment variable EVIL has a line break/),
      expect.stringMatching(/^cog\.yaml:7:5: environment variable CR has a line break/),
    ]);
  });

  it("finds a duplicate key among thousands and reports it where it is", async () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `  k${i}: 1`).join("\n");
    const problems = await problemsOf(`${HEAD}x:\n${keys}\n  k7: 2\n`);
    expect(problems).toEqual([
      expect.stringMatching(/^cog\.yaml:20005:3: YAML syntax error: the key "k7" appears twice .*first at line 12/),
    ]);
  });

  it("checks a large bad file in time linear in its size and caps the problems reported", async () => {
    // Schema problems (numbers as build.run commands), semantic ones (reserved and repeated variables), many weights.
    const lines = (n: number, line: (i: number) => string) => Array.from({ length: n }, (_, i) => line(i)).join("\n");
    const time = async (n: number) => {
      const dir = project(
        [
          "model: r8.im/me/model",
          "build:",
          '  node_version: "22"',
          "  run:",
          lines(n, () => "    - 5"),
          "run: predict.ts:Predictor",
          "environment:",
          lines(n, (i) => `  - ${i % 2 ? "PATH" : `V${i}`}=${i}`),
          "weights:",
          lines(n / 10, (i) => `  - {name: w${i}, target: /w/${i}, source: {uri: x}}`),
          "",
        ].join("\n"),
      );
      const started = performance.now();
      const inspection = await inspectConfig(dir);
      return { ms: performance.now() - started, problems: inspection.problems, count: inspection.problemCount };
    };
    await time(500); // warm up ajv and the yaml library
    const small = await time(2_000);
    const large = await time(16_000);
    expect(large.problems).toHaveLength(101);
    expect(large.count).toBeGreaterThan(16_000);
    expect(large.problems[0]).toMatch(/^cog\.yaml:5:7: build\.run\[0\] must be a string or a mapping/);
    expect(large.problems.at(-1)).toMatch(/^cog\.yaml: \d+ more problems not shown/);
    // Eight times the input: linear costs about eight times as much, quadratic sixty-four.
    expect(large.ms / Math.max(small.ms, 50)).toBeLessThan(24);
  }, 60_000);
});
