/**
 * `cog build` (and `cog push`) type-check the project before they ask the engine for anything: these run against an engine address
 * where nothing listens, so a type error must be reported first, and --skip-typecheck must get as far as the engine.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runMain } from "../helpers/cli.js";

async function cog(dir: string, ...args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await runMain(args, dir);
  return { code, out: stdout + stderr };
}

const PREDICTOR = `import { BasePredictor, Input } from "cogts";

export class Predictor extends BasePredictor {
  async predict(count: number = Input({ default: 1 })): Promise<string> {
    const label: string = count;
    return label;
  }
}
`;

describe("cog build and the type check", () => {
  let dir: string;
  let savedHost: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cogts-build-typecheck-"));
    writeFileSync(join(dir, "cog.yaml"), "run: predict.ts:Predictor\n");
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
    writeFileSync(join(dir, "predict.ts"), PREDICTOR);
    savedHost = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${join(dir, "no-engine.sock")}`;
  });
  afterEach(() => {
    if (savedHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = savedHost;
  });

  it("fails on a type error with file:line:col before it talks to the engine", async () => {
    const { code, out } = await cog(dir, "build");
    expect(out).toContain(
      "Error: The project's TypeScript has 1 error (fix it, or build anyway with --skip-typecheck):",
    );
    expect(out).toContain("  predict.ts:5:11: Type 'number' is not assignable to type 'string'. (TS2322)");
    expect(out).not.toContain("no-engine.sock");
    expect(code).toBe(1);
  });

  it("goes on to the engine with --skip-typecheck", async () => {
    const { code, out } = await cog(dir, "build", "--skip-typecheck");
    expect(out).not.toContain("TS2322");
    expect(out).toContain("no-engine.sock");
    expect(code).toBe(1);
  });

  it("goes on to the engine once the error is fixed", async () => {
    writeFileSync(
      join(dir, "predict.ts"),
      PREDICTOR.replace("const label: string = count;", "const label = String(count);"),
    );
    const { code, out } = await cog(dir, "build");
    expect(out).not.toContain("TypeScript");
    expect(out).toContain("no-engine.sock");
    expect(code).toBe(1);
  });

  it("stops cog push the same way before it builds, and --skip-typecheck lets it go on", async () => {
    const stopped = await cog(dir, "push", "127.0.0.1:5999/cogts-test/never-pushed");
    expect(stopped.out).toContain("  predict.ts:5:11: Type 'number' is not assignable to type 'string'. (TS2322)");
    expect(stopped.out).not.toContain("no-engine.sock");
    expect(stopped.code).toBe(1);
    const skipped = await cog(dir, "push", "127.0.0.1:5999/cogts-test/never-pushed", "--skip-typecheck");
    expect(skipped.out).not.toContain("TS2322");
    expect(skipped.out).toContain("no-engine.sock");
    expect(skipped.code).toBe(1);
  });

  it("documents the flag in --help", async () => {
    const { code, out } = await cog(dir, "build", "--help");
    expect(out).toMatch(/--skip-typecheck +Build even if the project's TypeScript has type errors/);
    expect(code).toBe(0);
  });
});
