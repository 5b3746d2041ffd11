/**
 * `cog init` in a new folder and in an existing project, as a user runs it (bin/cog.js, a child process), then the
 * project it leaves through `cog doctor --no-docker` and `cog run --no-docker`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureDistBuilt } from "../helpers/dist.js";
import { runCog } from "../helpers/cli.js";

const TEMPLATE_FILES = ["cog.yaml", "predict.ts", "package.json", "tsconfig.json", ".dockerignore"];

async function cog(cwd: string, ...args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await runCog(args, { cwd, timeoutMs: 120_000 });
  return { code, out: stdout + stderr };
}

function folder(name: string, files: Record<string, string> = {}): string {
  const dir = join(mkdtempSync(join(tmpdir(), "cogts-init-")), name);
  mkdirSync(dir);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), "utf8");

/** An author's project before cogts: scripts, a dependency, 4-space JSON, its own predictor and tsconfig.json. */
const EXISTING = {
  "package.json": `${JSON.stringify({ name: "sentiment", version: "2.1.0", scripts: { test: "node --test" }, dependencies: { "left-pad": "1.3.0" } }, null, 4)}\n`,
  "tsconfig.json":
    '{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "strict": true, "skipLibCheck": true } }\n',
  "predict.ts": `import { readFile } from "node:fs/promises";
import { BasePredictor, Input } from "cogts";

export class Predictor extends BasePredictor {
  async predict(text: string = Input({ description: "Text to rate" })): Promise<string> {
    const self = await readFile(new URL(import.meta.url));
    return \`\${text.length > 3 ? "positive" : "negative"} \${self.length > 0}\`;
  }
}
`,
};

beforeAll(ensureDistBuilt);

describe("cog init", () => {
  it("writes every file in an empty folder and prints the next commands", async () => {
    const dir = folder("fresh-model");
    const { code, out } = await cog(dir, "init");
    expect(code).toBe(0);
    for (const file of TEMPLATE_FILES) {
      expect(existsSync(join(dir, file))).toBe(true);
      expect(out).toContain(`Created ${file}\n`);
    }
    expect(out).toMatch(
      /Next:\n {2}npm install +# .*\n {2}cog doctor --no-docker +# .*\n {2}cog run --no-docker -i prompt=hi +# .*\n {2}cog build +# /,
    );
  });

  it("in an existing project, skips what exists, lists what it adds to package.json, and leaves a project that runs", async () => {
    const dir = folder("sentiment", EXISTING);
    const { code, out } = await cog(dir, "init");
    expect(code).toBe(0);
    expect(out).toContain("Created cog.yaml\n");
    expect(out).toContain("Created .dockerignore\n");
    expect(out).toContain("Skipped existing predict.ts\n");
    expect(out).toContain("Skipped existing tsconfig.json\n");
    expect(out).toContain("Updated package.json:\n");
    expect(out).toContain('     added "type": "module" (');
    expect(out).toMatch(/ {5}added devDependencies\.cogts "file:[^"]+" \(/);
    expect(out).toContain("cog run --no-docker -i NAME=VALUE");
    // Nothing that existed is overwritten: the predictor and tsconfig.json are byte for byte the same, and
    // package.json keeps every key, value and its indentation, and gains only the two additions.
    expect(read(dir, "predict.ts")).toBe(EXISTING["predict.ts"]);
    expect(read(dir, "tsconfig.json")).toBe(EXISTING["tsconfig.json"]);
    const manifest = JSON.parse(read(dir, "package.json")) as Record<string, unknown>;
    const before = JSON.parse(EXISTING["package.json"]) as Record<string, unknown>;
    expect(manifest).toMatchObject(before);
    expect(Object.keys(manifest)).toEqual(["name", "version", "type", "scripts", "dependencies", "devDependencies"]);
    expect(manifest.type).toBe("module");
    expect(Object.keys(manifest.devDependencies as object)).toEqual(["cogts", "@types/node", "typescript"]);
    expect(read(dir, "package.json")).toMatch(/^{\n {4}"name"/);

    const doctor = await cog(dir, "doctor", "--no-docker");
    expect(doctor.out).toContain("The TypeScript type-checks (1 file, with tsconfig.json).");
    expect(doctor.code, doctor.out).toBe(0);
    const run = await cog(dir, "run", "--no-docker", "-i", "text=wonderful");
    expect(run.out).toContain("positive true");
    expect(run.code, run.out).toBe(0);

    const again = await cog(dir, "init");
    expect(again.code).toBe(0);
    for (const file of TEMPLATE_FILES) expect(again.out).toContain(`Skipped existing ${file}\n`);
    expect(again.out).toContain("Nothing written");
    // Five CLI processes, a cold type check and a predictor start: minutes on a loaded 2-core machine.
  }, 300_000);

  it("leaves type unset when a CommonJS file of the project needs it, and says why (node_modules does not count)", async () => {
    const onlyDependency = folder("modern", { "package.json": '{ "name": "modern" }\n' });
    mkdirSync(join(onlyDependency, "node_modules", "dep"), { recursive: true });
    writeFileSync(join(onlyDependency, "node_modules", "dep", "index.js"), "module.exports = 1;\n");
    expect((await cog(onlyDependency, "init")).code).toBe(0);
    expect(JSON.parse(read(onlyDependency, "package.json"))).toHaveProperty("type", "module");

    const dir = folder("legacy", { "package.json": '{ "name": "legacy" }\n' });
    mkdirSync(join(dir, "tools"));
    writeFileSync(join(dir, "tools", "index.js"), 'module.exports = require("./x");\n');
    const { code, out } = await cog(dir, "init");
    expect(code).toBe(0);
    expect(out).toContain('left "type" as it is (tools/index.js is CommonJS)');
    expect(JSON.parse(read(dir, "package.json"))).not.toHaveProperty("type");
  });

  it("refuses a package.json it cannot read, and writes nothing", async () => {
    const dir = folder("broken", { "package.json": '{ "name": "broken", }\n' });
    const { code, out } = await cog(dir, "init");
    expect(out).toMatch(/package\.json is not valid JSON \(.*\): fix it and run cog init again; nothing was written\./);
    expect(code).toBe(1);
    expect(existsSync(join(dir, "cog.yaml"))).toBe(false);
    expect(read(dir, "package.json")).toBe('{ "name": "broken", }\n');
  });
});
