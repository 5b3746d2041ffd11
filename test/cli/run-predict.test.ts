/**
 * `cog run` (alias `cog predict`) and `cog train` as a user runs them (bin/cog.js; needs dist/), on this machine
 * (`--no-docker`): TypeScript twins of Cog 0.22's predict/train CLI scenarios (predict_json_*, *_none_output,
 * path_list_output, coglet_iterator_path_output, predict_output_file, predict_deprecation_warning, train_basic,
 * train_deprecated, input_validation_before_build).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCog } from "../helpers/cli.js";

/** Spawning the CLI and its server on a shared 2-core machine. */
const SLOW_MS = 120_000;

function project(
  predictor: string,
  extra: Record<string, string> = {},
  config = "run: predict.ts:Predictor\n",
): string {
  const dir = mkdtempSync(join(tmpdir(), "cogts-run-"));
  writeFileSync(join(dir, "cog.yaml"), `build:\n  node_version: "22"\n${config}`);
  writeFileSync(join(dir, "predict.ts"), predictor);
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  return dir;
}

const HELLO = `import { BasePredictor, Input, type Int } from "cogts";
export class Predictor extends BasePredictor {
  async predict(s: string, count: Int = Input({ default: 1, ge: 1, le: 10 })): Promise<string> {
    return "hello " + s.repeat(count);
  }
}
`;

/** Files in the predictor's temporary folder, returned as Paths (the server sends them as data URLs). */
const FILES = `import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BasePredictor, Input, Path } from "cogts";
export class Predictor extends BasePredictor {
  async *predict(ext: string = Input({ default: "png" })): AsyncGenerator<Path> {
    const dir = mkdtempSync(join(tmpdir(), "files-"));
    for (const color of ["red", "blue"]) {
      writeFileSync(join(dir, color + "." + ext), color);
      yield new Path(join(dir, color + "." + ext));
    }
  }
}
`;

const NONE = `import { BasePredictor } from "cogts";
export class Predictor extends BasePredictor {
  async predict(): Promise<string> {
    return null as unknown as string;
  }
}
`;

const BMP = `import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BasePredictor, Path } from "cogts";
export class Predictor extends BasePredictor {
  async predict(): Promise<Path> {
    const file = join(mkdtempSync(join(tmpdir(), "bmp-")), "prediction.bmp");
    writeFileSync(file, "BM pixels");
    return new Path(file);
  }
}
`;

const TRAIN = `import { writeFileSync } from "node:fs";
import { BasePredictor, Input, Path, type Int } from "cogts";
export class Trainer extends BasePredictor {
  async train(n: Int = Input({ ge: 1 })): Promise<{ weights: Path }> {
    writeFileSync("weights.bin", "a".repeat(n));
    return { weights: new Path("weights.bin") };
  }
}
`;

describe("cog run --json", () => {
  const dir = project(HELLO, { "input.json": '{\n  "s": "sackfield"\n}\n' });

  it("takes inline JSON and prints the whole prediction as JSON", { timeout: SLOW_MS }, async () => {
    const r = await runCog(["run", "--no-docker", "--json", '{"s": "sackfield"}'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('"status": "succeeded"');
    expect(r.stdout).toContain('"output": "hello sackfield"');
  });

  it("reads @file, @- and - (stdin)", { timeout: SLOW_MS }, async () => {
    for (const [flag, stdin] of [
      ["@input.json", undefined],
      ["@-", '{"s": "sackfield"}'],
      ["-", '{"s": "sackfield"}'],
    ] as const) {
      const r = await runCog(["run", "--no-docker", "--json", flag], { cwd: dir, ...(stdin ? { input: stdin } : {}) });
      expect(r.code, `${flag}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('"output": "hello sackfield"');
    }
  });

  it("writes the JSON to -o", { timeout: SLOW_MS }, async () => {
    const r = await runCog(["run", "--no-docker", "--json", '{"s": "sackfield"}', "--output", "output.json"], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("Written output to: output.json");
    const written = readFileSync(join(dir, "output.json"), "utf8");
    expect(written).toContain('"status": "succeeded"');
    expect(written).toContain('"output": "hello sackfield"');
  });

  it("refuses --json together with -i", async () => {
    const r = await runCog(["run", "--no-docker", "--json", "{}", "-i", "s=x"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Must use one of --json or --input to provide model inputs");
  });
});

describe("cog run outputs", () => {
  it("says No output generated and exits 0 for a null output", { timeout: SLOW_MS }, async () => {
    const r = await runCog(["run", "--no-docker"], { cwd: project(NONE) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("No output generated");
    expect(r.stdout).toBe("");
  });

  it("writes an iterator's files as output.N.<ext>", { timeout: SLOW_MS }, async () => {
    const dir = project(FILES);
    const r = await runCog(["run", "--no-docker"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("Written output to: output.0.png");
    expect(r.stderr).toContain("Written output to: output.1.png");
    expect(readFileSync(join(dir, "output.1.png"), "utf8")).toBe("blue");
  });

  it("names a single file by its type (image/bmp), or by -o", { timeout: SLOW_MS }, async () => {
    const dir = project(BMP);
    const r = await runCog(["run", "--no-docker"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("Written output to: output.bmp");
    const named = await runCog(["run", "--no-docker", "-o", "myoutput.bmp"], { cwd: dir });
    expect(named.code, named.stderr).toBe(0);
    expect(readFileSync(join(dir, "myoutput.bmp"), "utf8")).toBe("BM pixels");
  });
});

describe("cog predict", () => {
  it("warns that it is deprecated, and runs", { timeout: SLOW_MS }, async () => {
    const r = await runCog(["predict", "--no-docker", "-i", "s=world"], { cwd: project(HELLO) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('"cog predict" is deprecated, use "cog run"');
    expect(r.stdout).toBe("hello world\n");
  });
});

describe("cog train", () => {
  const config = "run: predict.ts:Predictor\ntrain: train.ts:Trainer\n";

  it("runs the train: predictor with -i inputs and writes its outputs", { timeout: SLOW_MS }, async () => {
    const dir = project(HELLO, { "train.ts": TRAIN }, config);
    const r = await runCog(["train", "--no-docker", "-i", "n=42"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Command "train" is deprecated');
    expect(readFileSync(join(dir, "weights.bin"), "utf8")).toHaveLength(42);
    expect(r.stderr).toContain("Written output to: weights.bin");
  });

  it("says it is deprecated even when it then fails (no cog.yaml)", async () => {
    const r = await runCog(["train"], { cwd: mkdtempSync(join(tmpdir(), "cogts-train-")) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Command "train" is deprecated');
    expect(r.stderr).toContain("will be removed in a future version of Cog");
  });
});

describe("inputs are checked before anything is built or started", () => {
  const dir = project(HELLO, { "train.ts": TRAIN }, "run: predict.ts:Predictor\ntrain: train.ts:Trainer\n");
  const cases: [string[], string][] = [
    [["run", "-i", "s=hi", "-i", "nope=1"], 'unknown input "nope"'],
    [["run", "--json", '{"s": "hi", "nope": 1}'], 'unknown input "nope"'],
    [["run"], 'missing required input "s"'],
    [["run", "-i", "s=hi", "-i", "count=0"], 'invalid input "count"'],
    [["run", "-i", "s=hi", "-i", "count=lots"], 'invalid input "count": expected integer, got string'],
    [["run", "--json", '{"s": "hi", "count": null}'], "must not be null"],
    [["predict", "-i", "s=hi", "-i", "count=99"], 'invalid input "count"'],
    [["train", "-i", "n=0"], 'invalid input "n"'],
  ];
  it.each(cases)("cog %j fails with Cog's message and no build", { timeout: SLOW_MS }, async (args, message) => {
    const r = await runCog(args, { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/Building|Starting/);
    expect(existsSync(join(dir, ".cog", "build"))).toBe(false);
  });
});

describe("global flags", () => {
  it("accepts --debug and --no-color before or after the command", { timeout: SLOW_MS }, async () => {
    const dir = project(HELLO);
    const r = await runCog(["--debug", "run", "--no-docker", "-i", "s=x", "--no-color"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("hello x\n");
    const failing = await runCog(["run", "--debug", "-i", "nope=1"], { cwd: dir });
    expect(failing.stderr).toMatch(/unknown input "nope"[\s\S]*at /);
  });
});
