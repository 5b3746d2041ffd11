/**
 * Images of Python models, built for real (issue 18 part 2): a stdlib predictor and one that installs a package
 * from a package index served on 127.0.0.1 (a wheel this test writes itself; there is no PyPI here), each built
 * through the engine with the stand-in python:3.11-slim, answering a prediction in a container; the first pushed
 * to the test registry and pulled back, and served with `cog serve` (the model base, the project mounted).
 */
import { execFile, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDistBuilt } from "../helpers/dist.js";
import { docker, dockerCli, ensureStandIn, REPO_ROOT, requireTestEnv, uniqueName } from "../helpers/test-env.js";

const COG = path.join(REPO_ROOT, "bin", "cog.js");
const EXAMPLE = path.join(REPO_ROOT, "examples", "python-hello");
const BUILD_TIMEOUT = 600_000;

interface Result {
  code: number;
  out: string;
  err: string;
}

function cog(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [COG, ...args],
      { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, out, errText) => {
        const code = (err as { code?: unknown } | null)?.code;
        resolve({ code: typeof code === "number" ? code : err ? 1 : 0, out: String(out), err: String(errText) });
      },
    );
  });
}

/** A pure-Python wheel of `pyimage-greet` 0.1.0, written with the host's Python zipfile module (no setuptools). */
function writeWheel(dir: string): Promise<string> {
  const name = "pyimage_greet-0.1.0-py3-none-any.whl";
  const script = `
import base64, hashlib, sys, zipfile
files = {
  "pyimage_greet/__init__.py": "def greet(name):\\n    return 'greetings from the local index, ' + name\\n",
  "pyimage_greet-0.1.0.dist-info/METADATA": "Metadata-Version: 2.1\\nName: pyimage-greet\\nVersion: 0.1.0\\n",
  "pyimage_greet-0.1.0.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: cogts-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
with zipfile.ZipFile(sys.argv[1], "w") as wheel:
    for path, text in files.items():
        data = text.encode()
        wheel.writestr(path, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append("pyimage_greet-0.1.0.dist-info/RECORD,,")
    wheel.writestr("pyimage_greet-0.1.0.dist-info/RECORD", "\\n".join(record) + "\\n")
`;
  const file = path.join(dir, name);
  return new Promise((resolve, reject) => {
    execFile(process.env.COGTS_PYTHON || "python3", ["-c", script, file], (err) => (err ? reject(err) : resolve(file)));
  });
}

/** A PEP 503 simple index with one project on 127.0.0.1 (the engine builds on the host network). */
async function serveIndex(wheelFile: string): Promise<{ server: Server; url: string }> {
  const wheelName = path.basename(wheelFile);
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    if (url === "/simple/pyimage-greet/") {
      res
        .writeHead(200, { "content-type": "text/html" })
        .end(`<html><body><a href="/files/${wheelName}">${wheelName}</a></body></html>`);
    } else if (url === `/files/${wheelName}`) {
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(readFileSync(wheelFile));
    } else {
      res.writeHead(404).end("not here");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/` };
}

describe("images of Python models", () => {
  const images: string[] = [];
  const dirs: string[] = [];
  let index: { server: Server; url: string } | undefined;

  beforeAll(async () => {
    requireTestEnv();
    await ensureDistBuilt();
    await ensureStandIn("python:3.11-slim");
  }, BUILD_TIMEOUT);

  afterAll(async () => {
    index?.server.close();
    for (const image of images) await dockerCli(["image", "rm", "-f", image]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function project(): string {
    const dir = mkdtempSync(path.join(tmpdir(), "pyimage-"));
    dirs.push(dir);
    cpSync(EXAMPLE, dir, {
      recursive: true,
      filter: (source) => !source.includes("__pycache__") && !source.includes(`${path.sep}.cog`),
    });
    return dir;
  }

  let built = "";
  it(
    "builds the stdlib example with Cog's labels and answers a prediction in a container",
    async () => {
      const dir = project();
      built = uniqueName("pyimage-hello");
      images.push(built);
      const build = await cog(dir, ["build", "-t", built, "--progress", "plain"]);
      expect(build.err).toContain(`Image built as ${built}`);
      expect(build.code).toBe(0);
      const labels = JSON.parse(await docker("image", "inspect", "-f", "{{json .Config.Labels}}", built)) as Record<
        string,
        string
      >;
      expect(JSON.parse(labels["run.cog.config"]!)).toMatchObject({
        build: { python_version: "3.11" },
        predict: "predict.py:Predictor",
      });
      expect(JSON.parse(labels["run.cog.openapi_schema"]!).components.schemas.Input.properties.name).toMatchObject({
        type: "string",
        default: "world",
      });
      const run = await cog(dir, ["run", built, "-i", "name=container"]);
      expect(run.out).toContain("hello, container");
      expect(run.code).toBe(0);
    },
    BUILD_TIMEOUT,
  );

  it(
    "installs a package from a package index on 127.0.0.1 (COGTS_PYTHON_INDEX_URL), the Dockerfile unchanged",
    async () => {
      const dir = project();
      const wheelDir = mkdtempSync(path.join(tmpdir(), "pyimage-wheel-"));
      dirs.push(wheelDir);
      index = await serveIndex(await writeWheel(wheelDir));
      writeFileSync(
        path.join(dir, "cog.yaml"),
        'build:\n  python_version: "3.11"\n  python_packages:\n    - pyimage-greet==0.1.0\npredict: "predict.py:Predictor"\n',
      );
      writeFileSync(
        path.join(dir, "predict.py"),
        "from cog import BasePredictor\nfrom pyimage_greet import greet\n\n\nclass Predictor(BasePredictor):\n    def predict(self, name: str) -> str:\n        return greet(name)\n",
      );
      const env = { COGTS_PYTHON_INDEX_URL: index.url };
      const withIndex = await cog(dir, ["debug"], env);
      const withoutIndex = await cog(dir, ["debug"], {
        COGTS_PYTHON_INDEX_URL: "",
        PIP_INDEX_URL: "",
        UV_INDEX_URL: "",
      });
      expect(withIndex.out).toContain(`# --index-url ${index.url}`);
      expect(withIndex.out.split("\n# ")[0]).toBe(withoutIndex.out.split("\n# ")[0]);
      const image = uniqueName("pyimage-greet");
      images.push(image);
      const build = await cog(dir, ["build", "-t", image, "--progress", "plain"], env);
      expect(build.err).toContain(`Image built as ${image}`);
      const run = await cog(dir, ["run", image, "-i", "name=cogts"]);
      expect(run.out).toContain("greetings from the local index, cogts");
      expect(run.code).toBe(0);
    },
    BUILD_TIMEOUT,
  );

  it(
    "pushes the stdlib image to the test registry and runs it after pulling it back",
    async () => {
      expect(built).not.toBe("");
      const pushed = `${requireTestEnv().registry}/${uniqueName("pyimage-pushed")}`;
      images.push(pushed);
      await docker("tag", built, pushed);
      const dir = project();
      const push = await cog(dir, ["push", pushed, "--no-build"]);
      expect(push.out + push.err).toMatch(/@sha256:[0-9a-f]{64}/);
      expect(push.code).toBe(0);
      await docker("image", "rm", pushed);
      await docker("pull", pushed);
      const run = await cog(dir, ["run", pushed, "-i", "name=pulled"]);
      expect(run.out).toContain("hello, pulled");
    },
    BUILD_TIMEOUT,
  );

  it(
    "serves the example with cog serve: the model base, the project mounted at /src",
    async () => {
      const dir = project();
      const base = `${uniqueName("pyimage-serve")}`;
      images.push(`${base}-base`);
      writeFileSync(
        path.join(dir, "cog.yaml"),
        `image: ${base}\n${readFileSync(path.join(EXAMPLE, "cog.yaml"), "utf8")}`,
      );
      const port = 18000 + Math.floor(Math.random() * 2000);
      const child = spawn(process.execPath, [COG, "serve", "-p", String(port)], {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let log = "";
      child.stdout.on("data", (chunk: Buffer) => (log += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (log += chunk.toString()));
      try {
        const deadline = Date.now() + BUILD_TIMEOUT - 60_000;
        let ready = false;
        while (!ready && Date.now() < deadline && child.exitCode === null) {
          ready = await fetch(`http://127.0.0.1:${port}/health-check`).then(
            async (r) => ((await r.json()) as { status: string }).status === "READY",
            () => false,
          );
          if (!ready) await new Promise((resolve) => setTimeout(resolve, 1000));
        }
        expect(ready, log).toBe(true);
        const response = await fetch(`http://127.0.0.1:${port}/predictions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ input: { name: "serve" } }),
        });
        expect(await response.json()).toMatchObject({ status: "succeeded", output: "hello, serve" });
      } finally {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGINT");
        await exited;
      }
    },
    BUILD_TIMEOUT,
  );
});
