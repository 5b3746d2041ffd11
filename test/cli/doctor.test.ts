/**
 * `cog doctor` through the real CLI entry point (`main()`, in-process, with the real engine where it is checked)
 * and once as a child process of bin/cog.js, as a user runs it (that one needs dist/, built by `npm run build`).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCog, runMain } from "../helpers/cli.js";

const PREDICTOR = 'export class Predictor {\n  predict(): string {\n    return "hi";\n  }\n}\n';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "cogts-doctor-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function doctor(dir: string, ...args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await runMain(["doctor", ...args], dir);
  return { code, out: stdout + stderr };
}

const TYPE_ERROR_ON_LINE_3 = 'build:\n  node_version: "22"\n  gpu: "yes"\nrun: predict.ts:Predictor\n';

describe("cog doctor", () => {
  it("exits 1 and prints cog.yaml:3: for a type error on line 3 (as a child process)", async () => {
    // bin/cog.js runs the compiled CLI in dist/: `npm ci` builds it (the prepare script), as does `npm run build`.
    const dir = project({ "cog.yaml": TYPE_ERROR_ON_LINE_3, "predict.ts": PREDICTOR });
    const result = await runCog(["doctor", "--no-docker"], { cwd: dir }).then(({ code, stdout, stderr }) => ({
      code,
      out: stdout + stderr,
    }));
    expect(result.code).toBe(1);
    expect(result.out).toContain("cog.yaml:3:8: build.gpu must be true or false");
  });

  it("exits 1 and prints cog.yaml:3: for a type error on line 3 (in-process)", async () => {
    const { code, out } = await doctor(
      project({ "cog.yaml": TYPE_ERROR_ON_LINE_3, "predict.ts": PREDICTOR }),
      "--no-docker",
    );
    expect(code).toBe(1);
    expect(out).toContain("cog.yaml:3:");
    expect(out).toContain("1 problem found");
  });

  it("exits 0 for a valid project with a reachable engine, and reports the engine and BuildKit", async () => {
    const { code, out } = await doctor(project({ "cog.yaml": "run: predict.ts:Predictor\n", "predict.ts": PREDICTOR }));
    expect(out).toMatch(
      /ok +Docker engine \S+ \(API [\d.]+\) at \S+ \((DOCKER_HOST|the default socket|Docker context "[^"]+")\), BuildKit available\./,
    );
    expect(out).toContain("predict.ts declares the predictor class Predictor.");
    expect(out).toContain("No problems found.");
    expect(code).toBe(0);
  });

  it("counts an unreachable engine as a problem, and --no-docker skips it", async () => {
    const dir = project({ "cog.yaml": "run: predict.ts:Predictor\n", "predict.ts": PREDICTOR });
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${join(dir, "no-engine.sock")}`;
    try {
      const down = await doctor(dir);
      expect(down.code).toBe(1);
      expect(down.out).toContain(`No Docker engine at unix://${join(dir, "no-engine.sock")}`);
      const skipped = await doctor(dir, "--no-docker");
      expect(skipped.code).toBe(0);
      expect(skipped.out).toContain("Docker engine not checked (--no-docker).");
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it("points at the run: line when the predictor file declares no such class", async () => {
    const dir = project({ "cog.yaml": "build:\n  gpu: false\nrun: predict.ts:Predictr\n", "predict.ts": PREDICTOR });
    const { code, out } = await doctor(dir, "--no-docker");
    expect(code).toBe(1);
    expect(out).toContain("cog.yaml:3:6: predict.ts declares no class Predictr");
  });

  it("flags a class that is declared but not exported", async () => {
    const dir = project({ "cog.yaml": "predict: predict.ts:Predictor\n", "predict.ts": "class Predictor {}\n" });
    const { code, out } = await doctor(dir, "--no-docker");
    expect(code).toBe(1);
    expect(out).toContain("cog.yaml:1:10: predict.ts declares class Predictor but does not export it");
    expect(out).toContain("note    cog.yaml:1:10: predict is the deprecated name of run");
  });

  it("finds cog.yaml in a parent directory, as Cog does", async () => {
    const dir = project({ "cog.yaml": TYPE_ERROR_ON_LINE_3, "predict.ts": PREDICTOR });
    mkdirSync(join(dir, "src", "deep"), { recursive: true });
    const { code, out } = await doctor(join(dir, "src", "deep"), "--no-docker");
    expect(code).toBe(1);
    expect(out).toContain("cog.yaml:3:8:");
  });

  it("uses -f for the config file name in every line", async () => {
    const dir = project({ "other.yaml": TYPE_ERROR_ON_LINE_3, "predict.ts": PREDICTOR });
    const { code, out } = await doctor(dir, "-f", "other.yaml", "--no-docker");
    expect(code).toBe(1);
    expect(out).toContain("other.yaml:3:8:");
  });

  it("suggests cog init when there is no cog.yaml", async () => {
    const { code, out } = await doctor(project({}), "--no-docker");
    expect(code).toBe(1);
    expect(out).toMatch(/cog\.yaml not found in .*run `cog init`/);
  });

  it("reports a syntax error in the predictor with file:line:col (the schema alone let it pass)", async () => {
    const broken = PREDICTOR.replace('return "hi";', 'return "hi" +;');
    const { code, out } = await doctor(
      project({ "cog.yaml": "run: predict.ts:Predictor\n", "predict.ts": broken }),
      "--no-docker",
    );
    expect(out).toContain("PROBLEM predict.ts:3:18: Expression expected. (TS1109)");
    expect(code).toBe(1);
  });

  it("reports a type error in a file the predictor imports, and says the types check once it is fixed", async () => {
    const predictor =
      'import { BasePredictor } from "cogts";\nimport { label } from "./label.js";\n\nexport class Predictor extends BasePredictor {\n  predict(): string {\n    return label(2);\n  }\n}\n';
    const dir = project({
      "cog.yaml": "run: predict.ts:Predictor\n",
      "package.json": '{ "type": "module" }\n',
      "predict.ts": predictor,
      "label.ts": "export function label(n: number): string {\n  return n;\n}\n",
    });
    const broken = await doctor(dir, "--no-docker");
    expect(broken.out).toContain("PROBLEM label.ts:2:3: Type 'number' is not assignable to type 'string'. (TS2322)");
    expect(broken.out).toContain("1 problem found");
    expect(broken.code).toBe(1);
    writeFileSync(join(dir, "label.ts"), "export function label(n: number): string {\n  return String(n);\n}\n");
    const fixed = await doctor(dir, "--no-docker");
    expect(fixed.out).toContain(
      "ok      The TypeScript type-checks (2 files, with cogts's defaults: no tsconfig.json).",
    );
    expect(fixed.code).toBe(0);
  });

  it("reports a type error from the compiled CLI, whose type check runs in a worker thread (as a child process)", async () => {
    const dir = project({
      "cog.yaml": "run: predict.ts:Predictor\n",
      "predict.ts": PREDICTOR.replace('return "hi";', "return 42;"),
    });
    const result = await runCog(["doctor", "--no-docker"], { cwd: dir }).then(({ code, stdout, stderr }) => ({
      code,
      out: stdout + stderr,
    }));
    expect(result.out).toContain("PROBLEM predict.ts:3:5: Type 'number' is not assignable to type 'string'. (TS2322)");
    expect(result.code).toBe(1);
  });

  it("prints every problem of the file, not just the first", async () => {
    const dir = project({ "cog.yaml": 'build:\n  gpu: 1\n  python_version: "3.11"\nenvironment:\n  - PATH=/x\n' });
    const { code, out } = await doctor(dir, "--no-docker");
    expect(code).toBe(1);
    expect(out).toContain("cog.yaml:2:8:");
    expect(out).toContain("cog.yaml:3:3:");
    expect(out).toContain("cog.yaml:5:5:");
    expect(out).toContain("3 problems found");
  });
});
