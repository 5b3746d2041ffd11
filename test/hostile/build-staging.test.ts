/**
 * `cog build` stages its build kit under the project's `.cog/build/`, deleting and rewriting there. A `.cog` or
 * `.cog/build` that is a symbolic link (a cloned repository can ship one) must not carry that outside the project.
 */
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureDistBuilt } from "../helpers/dist.js";
import { runCog } from "../helpers/cli.js";

function projectWithOutside(): { dir: string; outside: string } {
  const root = mkdtempSync(join(tmpdir(), "cogts-hostile-staging-"));
  const dir = join(root, "project");
  const outside = join(root, "outside");
  mkdirSync(dir);
  mkdirSync(outside);
  writeFileSync(join(outside, "precious.txt"), "keep me\n");
  writeFileSync(join(dir, "cog.yaml"), 'build:\n  node_version: "22"\nrun: predict.ts:Predictor\n');
  writeFileSync(
    join(dir, "predict.ts"),
    'import { BasePredictor } from "cogts";\nexport class Predictor extends BasePredictor {\n  async predict(): Promise<string> { return "x"; }\n}\n',
  );
  return { dir, outside };
}

async function cog(dir: string, ...args: string[]): Promise<{ code: number; stderr: string }> {
  const { code, stderr } = await runCog(args, { cwd: dir, timeoutMs: 60_000 });
  return { code, stderr: code === 0 ? "" : stderr };
}

describe("cog build stays inside the project", () => {
  beforeAll(ensureDistBuilt, 300_000);

  it("refuses a .cog that is a symbolic link, and writes nothing where it points", async () => {
    const { dir, outside } = projectWithOutside();
    symlinkSync(outside, join(dir, ".cog"));
    const { code, stderr } = await cog(dir, "build", "-t", `cogts-hostile-staging-${process.pid}`);
    expect(code).toBe(1);
    expect(stderr).toMatch(/\.cog in .* is a symbolic link .*Remove the link/);
    expect(readdirSync(outside)).toEqual(["precious.txt"]);
  });

  it("refuses a .cog/build that is a symbolic link, and deletes nothing where it points", async () => {
    const { dir, outside } = projectWithOutside();
    mkdirSync(join(dir, ".cog"));
    symlinkSync(outside, join(dir, ".cog", "build"));
    mkdirSync(join(outside, "tsc"));
    const { code, stderr } = await cog(dir, "build", "-t", `cogts-hostile-staging-${process.pid}`);
    expect(code).toBe(1);
    expect(stderr).toMatch(/\.cog\/build in .* is a symbolic link/);
    expect(readdirSync(outside).sort()).toEqual(["precious.txt", "tsc"]);
  });

  it("caches nothing through a .cog that is a symbolic link (cog schema, cog doctor)", async () => {
    const { dir, outside } = projectWithOutside();
    symlinkSync(outside, join(dir, ".cog"));
    expect((await cog(dir, "schema")).code).toBe(0);
    await cog(dir, "doctor", "--no-docker");
    expect(readdirSync(outside)).toEqual(["precious.txt"]);
  });
});
