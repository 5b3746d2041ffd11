#!/usr/bin/env node
/**
 * Per example: image size, cold start to READY, and median prediction time, each beside the same figure for a
 * hello-world predictor built and measured the same way in the same run (the reference).
 *
 *   npm run build && eval "$(scripts/test-env up)" && node bench/examples.mjs [--rounds 10] [--only ocr,textgen]
 *
 * Cold start: from starting the container to /health-check saying READY (node start, server, setup()).
 * Prediction: synchronous POST /predictions with the inputs below, after one warm-up; the median of --rounds.
 * Images are built with `cog build` (layer cache warm after the first run) and removed afterwards.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cog = path.join(root, "bin", "cog.js");
const { connectEngine } = await import(path.join(root, "dist/src/docker/engine.js"));
const { startModelServer, removeContainer } = await import(path.join(root, "dist/src/docker/container.js"));

const { values } = parseArgs({ options: { rounds: { type: "string", default: "10" }, only: { type: "string" } } });
const rounds = Math.max(1, Number(values.rounds));
const mirror = process.env.COGTS_BASE_IMAGE_MIRROR;
if (!process.env.DOCKER_HOST || mirror === undefined) {
  console.error(
    'bench/examples: run `eval "$(scripts/test-env up)"` first (it sets DOCKER_HOST and COGTS_BASE_IMAGE_MIRROR)',
  );
  process.exit(1);
}
// Builds reach npm through this machine's proxy CA, if it has one (cogts passes COGTS_CA_CERT to npm ci).
process.env.COGTS_CA_CERT ??= process.env.NODE_EXTRA_CA_CERTS;

const examples = path.join(root, "examples");
const dataUrl = (file, mime) => `data:${mime};base64,${readFileSync(file).toString("base64")}`;

/** The reference: a hello-world predictor, a project of its own in a temporary folder. */
function helloProject() {
  const dir = mkdtempSync(path.join(tmpdir(), "cogts-bench-hello-"));
  writeFileSync(path.join(dir, "cog.yaml"), 'build:\n  node_version: "20"\nrun: predict.ts:Predictor\n');
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "hello", version: "1.0.0", private: true, type: "module" }),
  );
  writeFileSync(
    path.join(dir, "package-lock.json"),
    JSON.stringify({
      name: "hello",
      version: "1.0.0",
      lockfileVersion: 3,
      requires: true,
      packages: { "": { name: "hello", version: "1.0.0" } },
    }),
  );
  writeFileSync(
    path.join(dir, "predict.ts"),
    'import { BasePredictor, Input } from "cogts";\n\nexport class Predictor extends BasePredictor {\n' +
      '  async predict(name: string = Input({ default: "world" })): Promise<string> {\n    return `hello ${name}`;\n  }\n}\n',
  );
  return dir;
}

const cases = [
  { name: "hello (reference)", dir: helloProject(), input: { name: "bench" } },
  {
    name: "ocr",
    dir: path.join(examples, "ocr"),
    input: { image: dataUrl(path.join(examples, "ocr", "sample.png"), "image/png") },
  },
  {
    name: "image-edit",
    dir: path.join(examples, "image-edit"),
    input: {
      image: dataUrl(path.join(examples, "image-edit", "sample.jpg"), "image/jpeg"),
      width: 1280,
      output_format: "webp",
    },
  },
  { name: "tts", dir: path.join(examples, "tts"), input: { text: "Benchmarks measure what matters.", voice: "en-us" } },
  {
    name: "textgen",
    dir: path.join(examples, "textgen"),
    input: { max_tokens: 20, seed: 1 },
    note: "20 tokens, 20 ms apart by design",
  },
  { name: "classifier", dir: path.join(examples, "classifier"), input: { x: 0.5, y: -0.3 } },
  { name: "training", dir: path.join(examples, "training"), input: { max_tokens: 20, seed: 1 } },
].filter((c) => !values.only || c.name.startsWith("hello") || values.only.split(",").includes(c.name));

const docker = connectEngine();

async function installIfNeeded(dir) {
  if (!existsSync(path.join(dir, "package-lock.json")) || existsSync(path.join(dir, "node_modules"))) return;
  await run("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd: dir,
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" },
  });
}

async function readyAfter(url, container) {
  for (;;) {
    try {
      const health = await (await fetch(`${url}/health-check`)).json();
      if (health.status === "READY") return;
      if (health.status === "SETUP_FAILED") throw new Error(`setup failed: ${health.setup?.logs}`);
    } catch (error) {
      if (String(error).includes("setup failed")) throw error;
    }
    const state = (await container.inspect()).State;
    if (!state.Running) throw new Error(`container exited (${state.ExitCode})`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const median = (numbers) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const results = [];
for (const c of cases) {
  const tag = `cogts-bench-example-${c.name.split(" ")[0]}-${process.pid}`;
  process.stderr.write(`${c.name}: building…\n`);
  await installIfNeeded(c.dir);
  await run(process.execPath, [cog, "build", "-t", tag, "--progress", "quiet"], { cwd: c.dir, maxBuffer: 64 << 20 });
  const size = (await docker.getImage(tag).inspect()).Size;
  try {
    const started = performance.now();
    const { url, container } = await startModelServer({ docker, image: tag });
    try {
      await readyAfter(url, container);
      const coldStart = performance.now() - started;
      const times = [];
      for (let i = 0; i <= rounds; i++) {
        const t0 = performance.now();
        const response = await fetch(`${url}/predictions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ input: c.input }),
        });
        const body = await response.json();
        if (body.status !== "succeeded") throw new Error(`${c.name}: prediction ${body.status}: ${body.error}`);
        if (i > 0) times.push(performance.now() - t0); // the first one is the warm-up
      }
      results.push({ name: c.name, size, coldStart, median: median(times), note: c.note });
    } finally {
      await removeContainer(container);
    }
  } finally {
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
  }
}

const reference = results[0];
const mb = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`;
const ratio = (value, base) => `${(value / base).toFixed(1)}x`;
console.log(`examples: ${rounds} predictions each after a warm-up; ratios against ${reference.name}`);
console.log(
  [
    "example".padEnd(18),
    "image".padStart(8),
    "ratio".padStart(6),
    "cold start".padStart(11),
    "ratio".padStart(6),
    "median predict".padStart(15),
    "ratio".padStart(7),
  ].join(" "),
);
for (const r of results) {
  console.log(
    [
      r.name.padEnd(18),
      mb(r.size).padStart(8),
      ratio(r.size, reference.size).padStart(6),
      `${(r.coldStart / 1000).toFixed(2)} s`.padStart(11),
      ratio(r.coldStart, reference.coldStart).padStart(6),
      `${r.median.toFixed(1)} ms`.padStart(15),
      ratio(r.median, reference.median).padStart(7),
      r.note ? ` (${r.note})` : "",
    ].join(" "),
  );
}
