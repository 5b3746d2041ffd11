/**
 * Every code block of docs/ and of the examples' READMEs is checked: TypeScript type-checks against the SDK and goes
 * through the schema generator, cog.yaml blocks load with loadConfig, other YAML and JSON parse, the Kubernetes
 * manifests probe /health-check on the server's port, and every `cog` command line names a real command and real flags.
 */
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseAllDocuments } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { commands } from "../../src/cli/commands/index.js";
import type { Command } from "../../src/cli/command.js";
import { loadConfig } from "../../src/config/index.js";
import { generateSchema } from "../../src/schema/index.js";
import { codeBlocks, commandParts, shellCommands, words, type CodeBlock } from "./markdown.js";

const REPO = join(import.meta.dirname, "..", "..");
const DOCS = readdirSync(join(REPO, "docs"))
  .filter((name) => name.endsWith(".md"))
  .map((name) => join(REPO, "docs", name));
const EXAMPLE_READMES = readdirSync(join(REPO, "examples"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== "node_modules")
  .map((entry) => join(REPO, "examples", entry.name, "README.md"));
const PAGES = [...DOCS, join(REPO, "examples", "README.md"), ...EXAMPLE_READMES];
const blocks = PAGES.flatMap(codeBlocks);
const where = (block: CodeBlock) => `${block.file.slice(REPO.length + 1)}:${block.line}`;

/** Programs a shell block may run besides `cog`. */
const KNOWN_PROGRAMS = new Set([
  "cog",
  "node",
  "eval",
  "curl",
  "kubectl",
  "docker",
  "npm",
  "npx",
  "cd",
  "jq",
  "sed",
  "base64",
  "cat",
  "sudo",
  "ONNXRUNTIME_NODE_INSTALL=skip",
]);

function findCommand(name: string): Command | undefined {
  return commands.find((command) => command.name === name || command.aliases?.includes(name));
}

describe("docs", () => {
  it("has the pages the issue asks for", () => {
    expect(DOCS.map((file) => basename(file)).sort()).toEqual(
      expect.arrayContaining(["authoring.md", "cli.md", "http-api.md", "kubernetes.md", "push.md", "python.md"]),
    );
  });

  it("documents every cog command in the CLI reference", async () => {
    const { readFileSync } = await import("node:fs");
    const reference = readFileSync(join(REPO, "docs", "cli.md"), "utf8");
    for (const command of commands) expect(reference, command.name).toContain(`## cog ${command.name}\n`);
  });

  it("uses only real cog commands and flags in its shell blocks", () => {
    const checked: string[] = [];
    for (const block of blocks.filter((b) => b.lang === "sh")) {
      for (const line of shellCommands(block.code)) {
        for (const part of commandParts(line)) {
          const argv = words(part.replace(/&$/, "").trim());
          if (argv.length === 0) continue;
          expect(KNOWN_PROGRAMS.has(argv[0]!), `${where(block)}: unknown program in "${part}"`).toBe(true);
          const at = argv.indexOf("cog");
          if (at < 0 || (argv[0] !== "cog" && !argv[0]!.includes("="))) continue;
          const command = findCommand(argv[at + 1]!);
          expect(command, `${where(block)}: "cog ${argv[at + 1]}" is not a cog command`).toBeDefined();
          for (const word of argv.slice(at + 2)) {
            if (!word.startsWith("-") || word === "-" || word === "--") continue;
            const flag = word.startsWith("--") ? word.slice(2).split("=")[0]! : word.slice(1, 2);
            const known =
              flag === "help" ||
              Object.entries(command!.options).some(([name, spec]) => name === flag || spec.short === flag);
            expect(known, `${where(block)}: cog ${command!.name} has no flag ${word}`).toBe(true);
          }
          checked.push(`${command!.name}`);
        }
      }
    }
    expect(new Set(checked)).toEqual(
      new Set(["run", "build", "serve", "schema", "doctor", "push", "login", "playground"]),
    );
  });

  it("has JSON blocks that parse", () => {
    const json = blocks.filter((b) => b.lang === "json");
    expect(json.length).toBeGreaterThan(3);
    for (const block of json) expect(() => JSON.parse(block.code), where(block)).not.toThrow();
  });

  it("has YAML blocks that parse, and cog.yaml blocks that loadConfig accepts", async () => {
    const yamlBlocks = blocks.filter((b) => b.lang === "yaml");
    expect(yamlBlocks.length).toBeGreaterThan(5);
    for (const block of yamlBlocks) {
      for (const document of parseAllDocuments(block.code)) expect(document.errors, where(block)).toEqual([]);
      const isCogYaml = /^(run|predict|build):/m.test(block.code) && !/^apiVersion:/m.test(block.code);
      if (!isCogYaml) continue;
      const dir = mkdtempSync(join(tmpdir(), "docs-cog-yaml-"));
      writeFileSync(join(dir, "cog.yaml"), block.code);
      for (const ref of block.code.matchAll(/^(?:run|predict|train): (\S+)\.ts:(\w+)/gm)) {
        writeFileSync(join(dir, `${ref[1]}.ts`), `export class ${ref[2]} {}\n`);
      }
      // A Python project (docs/python.md): its predictor file and requirements file.
      for (const ref of block.code.matchAll(/^(?:run|predict|train): "?([^"\s]+)\.py:(\w+)/gm))
        writeFileSync(join(dir, `${ref[1]}.py`), "");
      for (const ref of block.code.matchAll(/^ {2}python_requirements: (\S+)/gm)) writeFileSync(join(dir, ref[1]!), "");
      await expect(loadConfig(dir), where(block)).resolves.toBeDefined();
    }
  });

  it("shows a Deployment whose probes read /health-check on the server's port, and a Service in front of it", () => {
    const block = blocks.find((b) => b.file.endsWith("kubernetes.md") && b.code.includes("kind: Deployment"))!;
    const [deployment, service] = parseAllDocuments(block.code).map((doc) => doc.toJSON() as Record<string, any>);
    expect(deployment!.kind).toBe("Deployment");
    const container = deployment!.spec.template.spec.containers[0];
    const port = container.ports.find((p: { containerPort: number }) => p.containerPort === 5000);
    expect(port).toBeDefined();
    // What each probe decides in each server state is run for real in test/docs/kubernetes-probes.test.ts.
    for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
      const command = container[probe].exec.command as string[];
      expect(command.slice(0, 2)).toEqual(["node", "-e"]);
      expect(command[2]).toContain('(process.env.PORT || 5000) + "/health-check"');
    }
    expect(deployment!.spec.selector.matchLabels).toEqual(deployment!.spec.template.metadata.labels);
    expect(service!.kind).toBe("Service");
    expect(service!.spec.selector).toEqual(deployment!.spec.selector.matchLabels);
    expect(service!.spec.ports[0].targetPort).toBe(port.name);
    const scaling = blocks
      .filter((b) => b.file.endsWith("kubernetes.md") && b.lang === "sh")
      .map((b) => b.code)
      .join("\n");
    expect(scaling).toMatch(/kubectl scale deployment\/ocr --replicas=\d+/);
  });
});

describe("TypeScript in docs/authoring.md", () => {
  const snippets = blocks.filter((b) => b.lang === "ts");
  const dir = mkdtempSync(join(tmpdir(), "docs-ts-"));
  const files: string[] = [];

  beforeAll(() => {
    // `cogts` resolves to this repository's built SDK, as it would to an installed package.
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(REPO, join(dir, "node_modules", "cogts"), "dir");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    snippets.forEach((block, i) => {
      const file = join(dir, `snippet${i}.ts`);
      writeFileSync(file, block.code);
      files.push(file);
    });
  });

  it("has a snippet for every kind of input and output", () => {
    const all = snippets.map((b) => b.code).join("\n");
    for (const kind of [
      "string",
      "number",
      "Int",
      "boolean",
      "Path",
      "Secret",
      "Int[]",
      "| null",
      "Path[]",
      "Record<string",
      "ConcatenateIterator<string>",
      "train(",
    ]) {
      expect(all, kind).toContain(kind);
    }
  });

  it("type-checks every snippet against the SDK", async () => {
    const ts = (await import("typescript")).default;
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noImplicitOverride: true,
      skipLibCheck: true,
      noEmit: true,
      types: ["node"],
      typeRoots: [join(REPO, "node_modules", "@types")],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const position = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      const index = d.file ? files.indexOf(d.file.fileName) : -1;
      const origin =
        index >= 0 ? `${where(snippets[index]!)} (+${(position?.line ?? 0) + 1})` : (d.file?.fileName ?? "");
      return `${origin}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
    expect(problems).toEqual([]);
  });

  it("gives every predictor and trainer snippet a schema", async () => {
    let count = 0;
    for (const [i, block] of snippets.entries()) {
      const cls = /export class (\w+) extends BasePredictor/.exec(block.code)?.[1];
      if (!cls) continue;
      const ref = `snippet${i}.ts:${cls}`;
      const isTrainer = /\basync train\(/.test(block.code);
      const document = await generateSchema(isTrainer ? { dir, train: ref } : { dir, predict: ref });
      const schemas = (document as { components: { schemas: Record<string, unknown> } }).components.schemas;
      expect(schemas[isTrainer ? "TrainingInput" : "Input"], where(block)).toBeDefined();
      count++;
    }
    expect(count).toBeGreaterThanOrEqual(7);
  }, 120_000);
});

describe("Python in docs/python.md", () => {
  it("gives every Python predictor snippet a schema, read by the tree-sitter reader", async () => {
    const python = blocks.filter((b) => b.lang === "python");
    let count = 0;
    for (const block of python) {
      const cls = /^class (\w+)\((?:cog\.)?Base(?:Predictor|Runner)\)/m.exec(block.code)?.[1];
      if (!cls) continue;
      const dir = mkdtempSync(join(tmpdir(), "docs-py-"));
      writeFileSync(join(dir, "predict.py"), block.code);
      const document = await generateSchema({ dir, predict: `predict.py:${cls}` });
      expect(
        (document as { components: { schemas: Record<string, unknown> } }).components.schemas.Input,
        where(block),
      ).toBeDefined();
      count++;
    }
    expect(count).toBeGreaterThanOrEqual(1);
  });
});
