/**
 * `cog serve` through the real engine: the model base (no code layer) with the project mounted at /src, the
 * sources transpiled on the host, `--secret` for build.run secret mounts, a code change served after a restart
 * with no rebuild (the base keeps its id), Ctrl-C removing the container, Node 20 bases, the in-image
 * stripTypeScriptTypes fallback of the loader, `--secret` on `cog run`/`cog exec`, and the base on the classic builder.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectBinds } from "../../src/cli/commands/serve.js";
import { freePort, startModelServer, withContainer } from "../../src/docker/container.js";
import { waitForContainer } from "../../src/predict/index.js";
import { COG_BIN, runCog, type CliResult } from "../helpers/cli.js";
import { ensureDistBuilt } from "../helpers/dist.js";
import { REPO_ROOT, dockerClient, requireTestEnv, uniqueName } from "../helpers/test-env.js";

const HELLO = path.join(REPO_ROOT, "fixtures", "projects", "hello");
/** Test runs share the engine: a CA for the build's npm (COGTS_CA_CERT), as build.test.ts passes it. */
const CLI_ENV = { ...process.env, COGTS_CA_CERT: process.env.COGTS_CA_CERT ?? process.env.NODE_EXTRA_CA_CERTS };

const PREDICT_TS = `import { readFileSync } from "node:fs";
import { BasePredictor, Input } from "cogts";
import ms from "ms";
import { greeting, Tone } from "./greeting.js";

export class Predictor extends BasePredictor {
  private prefix = "";

  override async setup(): Promise<void> {
    this.prefix = readFileSync("/etc/token-prefix", "utf8").trim();
  }

  async predict(name: string = Input({ description: "Who to greet", default: "world" })): Promise<string> {
    return \`\${greeting(Tone.Warm)} \${name} (\${this.prefix}) in \${ms(60000)}\`;
  }
}
`;
// An enum (not erasable: needs a transform) in a module imported NodeNext-style as ./greeting.js.
const GREETING_TS = `export enum Tone {
  Warm = "warm",
  Cold = "cold",
}

export function greeting(tone: Tone): string {
  return tone === Tone.Warm ? "hello" : "goodbye";
}
`;
// A stale compile beside it, as a local tsc run leaves: the mounted project must not serve it.
const STALE_GREETING_JS = `export const Tone = { Warm: "warm" };\nexport function greeting() { return "STALE"; }\n`;
// The author's own node_modules (another platform's builds, say): the container must use the image's install.
const HOST_MS = 'module.exports = () => "the host copy";\n';

function cogYaml(image: string, nodeVersion: string): string {
  return [
    `image: ${image}`,
    "build:",
    `  node_version: "${nodeVersion}"`,
    "  run:",
    "    - command: cut -c1-6 /run/secrets/token > /etc/token-prefix",
    "      mounts:",
    "        - type: secret",
    "          id: token",
    "          target: /run/secrets/token",
    "run: predict.ts:Predictor",
    "",
  ].join("\n");
}

interface Served {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  /** Ctrl-C; resolves to the exit code. */
  interrupt: () => Promise<number>;
}

/** `cog serve -p PORT` in dir, resolved once it says where it serves (rejects with its stderr if it exits first). */
async function serve(dir: string, args: string[]): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, [COG_BIN, "serve", "-p", String(port), "--progress", "plain", ...args], {
    cwd: dir,
    env: CLI_ENV,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stdout!.resume();
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number>((resolve) =>
    child.on("close", (code, signal) => resolve(code ?? (signal === "SIGINT" ? 130 : -1))),
  );
  const ready = await Promise.race([
    exited.then(() => false),
    (async () => {
      for (let i = 0; i < 1200 && !stderr.includes("Serving at"); i++) await new Promise((r) => setTimeout(r, 100));
      return stderr.includes("Serving at");
    })(),
  ]);
  if (!ready) {
    child.kill("SIGKILL");
    throw new Error(`cog serve did not start:\n${stderr}`);
  }
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    stderr: () => stderr,
    interrupt: () => {
      child.kill("SIGINT");
      return exited;
    },
  };
}

async function predict(
  url: string,
  input: Record<string, unknown>,
): Promise<{ status: string; output?: unknown; error?: string }> {
  const response = await fetch(`${url}/predictions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { status: string; output?: unknown; error?: string };
}

function cli(dir: string, args: string[]): Promise<CliResult> {
  return runCog(args, { cwd: dir, env: CLI_ENV });
}

let docker: Docker;
let scratch: string;
let secretFile: string;
const images: string[] = [];

/** A copy of the hello fixture with the predictor above, its image named `image`. */
function makeProject(name: string, image: string, nodeVersion: string): string {
  const dir = path.join(scratch, name);
  cpSync(HELLO, dir, { recursive: true });
  writeFileSync(path.join(dir, "cog.yaml"), cogYaml(image, nodeVersion));
  writeFileSync(path.join(dir, "predict.ts"), PREDICT_TS);
  writeFileSync(path.join(dir, "greeting.ts"), GREETING_TS);
  writeFileSync(path.join(dir, "greeting.js"), STALE_GREETING_JS);
  const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ ...manifest, dependencies: { ms: "2.1.3" } }, null, 2),
  );
  mkdirSync(path.join(dir, "node_modules", "ms"), { recursive: true });
  writeFileSync(
    path.join(dir, "node_modules", "ms", "package.json"),
    '{ "name": "ms", "version": "0.0.0-host", "main": "index.js" }\n',
  );
  writeFileSync(path.join(dir, "node_modules", "ms", "index.js"), HOST_MS);
  images.push(image, `${image}-base`);
  return dir;
}

async function imageId(name: string): Promise<string> {
  return (await docker.getImage(name).inspect()).Id;
}

async function leftContainers(image: string): Promise<unknown[]> {
  return docker.listContainers({ all: true, filters: { label: ["run.cog.cogts-started=true"], ancestor: [image] } });
}

beforeAll(async () => {
  requireTestEnv();
  docker = await dockerClient();
  await ensureDistBuilt();
  scratch = mkdtempSync(path.join(tmpdir(), "cogts-serve-test-"));
  secretFile = path.join(scratch, "token.txt");
  writeFileSync(secretFile, "s3cr3t-token-value\n");
});

afterAll(async () => {
  for (const image of images)
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("cog serve with the project mounted (Node 22)", () => {
  let dir: string;
  let image: string;
  let baseId: string;

  beforeAll(() => {
    image = uniqueName("cogts-serve");
    dir = makeProject("node22", image, "22");
  });

  it("names a missing build secret before building, on serve, run and exec alike", async () => {
    for (const args of [["serve", "-p", "1"], ["run"], ["exec", "--", "true"]]) {
      const result = await cli(dir, [...args, "--progress", "quiet"]);
      expect(result.code, args[0]).toBe(1);
      expect(result.stderr).toContain("build.run[0] mounts the secret token: pass --secret id=token,src=FILE");
    }
    const given = await cli(dir, ["run", "some-image", "--secret", `id=token,src=${secretFile}`]);
    expect(given.code).toBe(2);
    expect(given.stderr).toContain("--secret is for building the project");
  });

  it("serves the mounted sources of the model base over HTTP, and Ctrl-C removes the container", async () => {
    const served = await serve(dir, ["--secret", `id=token,src=${secretFile}`]);
    let code: number;
    try {
      expect(served.stderr()).toContain(`Successfully tagged ${image}-base:latest`);
      // The secret reached build.run; greeting.ts (enum, imported as ./greeting.js) won over the stale greeting.js;
      // ms came from the image's node_modules, not the author's.
      expect(await predict(served.url, { name: "ada" })).toMatchObject({
        status: "succeeded",
        output: "hello ada (s3cr3t) in 1m",
      });
    } finally {
      code = await served.interrupt();
    }
    expect(code).toBe(130);
    baseId = await imageId(`${image}-base`);
    expect(await leftContainers(`${image}-base`)).toEqual([]);
    // The base holds no code of its own: no predict.ts, no compiled predict.js, no schema.
    const inspected = await docker.getImage(`${image}-base`).inspect();
    expect(inspected.Config.Labels?.["run.cog.openapi_schema"]).toBeUndefined();
  });

  it("serves edited code after a restart, without rebuilding the base", async () => {
    writeFileSync(path.join(dir, "predict.ts"), PREDICT_TS.replace("(${this.prefix})", "[edited, ${this.prefix}]"));
    const served = await serve(dir, ["--secret", `id=token,src=${secretFile}`]);
    try {
      expect(await predict(served.url, { name: "bob" })).toMatchObject({
        status: "succeeded",
        output: "hello bob [edited, s3cr3t] in 1m",
      });
    } finally {
      expect(await served.interrupt()).toBe(130);
    }
    // Every build step was cached: the same image, not a rebuilt one.
    expect(await imageId(`${image}-base`)).toBe(baseId);
  });

  it("loads the mounted TypeScript with Node's stripTypeScriptTypes when no transpiled copy is given", async () => {
    const { url, container } = await startModelServer({
      docker,
      image: `${image}-base`,
      binds: await projectBinds(dir, () => undefined),
      env: ["COGTS_LOAD_TYPESCRIPT=1"],
    });
    await withContainer(container, async () => {
      await waitForContainer(url, container, 60_000);
      expect(await predict(url, { name: "eve" })).toMatchObject({
        status: "succeeded",
        output: "hello eve [edited, s3cr3t] in 1m",
      });
    });
  });

  it("serves a CommonJS project (no package.json) as its image would run it: real require, ./x.js meaning x.ts, the SDK as cogts", async () => {
    const cjs = path.join(scratch, "commonjs");
    mkdirSync(cjs);
    const cjsImage = uniqueName("cogts-serve-cjs");
    images.push(cjsImage, `${cjsImage}-base`);
    writeFileSync(
      path.join(cjs, "cog.yaml"),
      `image: ${cjsImage}\nbuild:\n  node_version: "22"\nrun: predict.ts:Predictor\n`,
    );
    writeFileSync(
      path.join(cjs, "shout.ts"),
      "export function shout(text: string): string {\n  return text.toUpperCase();\n}\n",
    );
    writeFileSync(
      path.join(cjs, "predict.ts"),
      [
        'import { BasePredictor, Input } from "cogts";',
        'import { shout } from "./shout.js";',
        "declare const __filename: string;",
        "export class Predictor extends BasePredictor {",
        '  async predict(text: string = Input({ default: "hi" })): Promise<string> {',
        "    // __filename exists only in CommonJS: the module ran as the image runs it.",
        "    return `${shout(text)} from ${__filename}`;",
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    // Node 22 gave such a module the ESM loader's stand-in require, which failed on cogts at setup.
    const served = await serve(cjs, []);
    try {
      expect(await predict(served.url, { text: "ada" })).toMatchObject({
        status: "succeeded",
        output: "ADA from /src/predict.ts",
      });
    } finally {
      expect(await served.interrupt()).toBe(130);
    }
  });

  it("builds the full image for cog exec with --secret", async () => {
    const result = await cli(dir, [
      "exec",
      "--progress",
      "quiet",
      "--secret",
      `id=token,src=${secretFile}`,
      "--",
      "cat",
      "/etc/token-prefix",
    ]);
    expect(result.stderr).not.toContain("Error");
    expect(result.stdout.trim()).toBe("s3cr3t");
    expect(result.code).toBe(0);
  });
});

describe("cog serve on a Node 20 base", () => {
  it("serves the host-transpiled sources; without them the loader says what Node it needs", async () => {
    const image = uniqueName("cogts-serve20");
    const dir = makeProject("node20", image, "20");
    const served = await serve(dir, ["--secret", `id=token,src=${secretFile}`]);
    try {
      expect(await predict(served.url, { name: "old" })).toMatchObject({
        status: "succeeded",
        output: "hello old (s3cr3t) in 1m",
      });
    } finally {
      expect(await served.interrupt()).toBe(130);
    }
    const { url, container } = await startModelServer({
      docker,
      image: `${image}-base`,
      binds: await projectBinds(dir, () => undefined),
      env: ["COGTS_LOAD_TYPESCRIPT=1"],
    });
    const failure = await withContainer(container, () =>
      waitForContainer(url, container, 60_000).then(
        () => undefined,
        (err: unknown) => err,
      ),
    );
    expect(failure).toBeInstanceOf(Error);
    const text = `${(failure as Error).message}\n${((failure as { problems?: string[] }).problems ?? []).join("\n")}`;
    expect(text).toMatch(/Node v20\.\d+\.\d+ cannot strip types \(that needs Node 22\.13 or newer\)/);
    expect(readFileSync(path.join(dir, ".cog", "build", "js", "greeting.js"), "utf8")).toContain("Tone");
  });
});

describe("the model base on the classic builder", () => {
  it("builds from the trimmed context and serves the mounted project", async () => {
    const { buildModel, loadProject } = await import("../../src/model/index.js");
    const { Writable } = await import("node:stream");
    const image = uniqueName("cogts-serve-classic");
    const dir = path.join(scratch, "classic");
    cpSync(HELLO, dir, { recursive: true });
    writeFileSync(
      path.join(dir, "cog.yaml"),
      `image: ${image}\nbuild:\n  node_version: "22"\nrun: predict.ts:Predictor\n`,
    );
    images.push(`${image}-base`);
    const progress = new Writable({ write: (_chunk, _encoding, done) => done() });
    const built = await buildModel({
      project: await loadProject(dir),
      modelBase: true,
      buildkit: false,
      progress: "plain",
      out: progress,
      docker,
    });
    expect(built.tag).toBe(`${image}-base`);
    const { url, container } = await startModelServer({
      docker,
      image: built.tag,
      binds: await projectBinds(dir, () => undefined),
      env: ["COGTS_LOAD_TYPESCRIPT=1", "COGTS_TRANSPILED_DIR=/src/.cog/build/js"],
    });
    await withContainer(container, async () => {
      await waitForContainer(url, container, 60_000);
      expect(await predict(url, { name: "classic" })).toMatchObject({ status: "succeeded", output: "hello classic" });
    });
  });
});
