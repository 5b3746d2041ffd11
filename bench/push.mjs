#!/usr/bin/env node
// Push benchmark: `cog push --no-build` (cogts) vs `docker push` of the same image, to the same local
// registry with fresh repository names, plus the no-op re-push time. Prints figures and ratios.
//
//   eval "$(scripts/test-env up)"; node bench/push.mjs [--mb 320] [--rounds 1]
//
// Goals: cogts at least 1.5x faster than docker push; a no-op re-push under 1 s.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : def; };
const totalMb = flag("mb", 320);
const rounds = flag("rounds", 1);
const registry = process.env.COGTS_TEST_REGISTRY;
if (!registry) { console.error('COGTS_TEST_REGISTRY is not set: run eval "$(scripts/test-env up)" first.'); process.exit(2); }

async function writeRandom(path, mb) {
  const out = createWriteStream(path);
  for (let i = 0; i < mb; i++) if (!out.write(randomBytes(1 << 20))) await new Promise((r) => out.once("drain", r));
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
}

function time(cmd, argv, env = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = ""; let err = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { err += d; });
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0) reject(new Error(`${cmd} ${argv.join(" ")} failed (${code}): ${err || out}`));
      else resolve({ seconds, out: out.trim() });
    });
  });
}

// The CLI runs from dist/: compile if it is missing.
if (!existsSync(join(ROOT, "dist", "src", "registry", "push.js"))) {
  await run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: ROOT }).catch(() => undefined);
}

const stamp = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
const dir = await mkdtemp(join(tmpdir(), "cogts-bench-push-"));
const cache = await mkdtemp(join(tmpdir(), "cogts-bench-cache-"));
const tagged = [];
// Several layers of different sizes, like weights, dependencies and code.
const split = [0.5, 0.3, 0.15, 0.05].map((f) => Math.max(1, Math.round(totalMb * f)));

/** A fresh image per round (new random data), so neither tool finds its layers in the registry already. */
async function buildImage(round) {
  const image = `cogts-bench-push:${stamp}-${round}`;
  const lines = ["FROM debian:bookworm-slim"];
  for (const [i, mb] of split.entries()) {
    await writeRandom(join(dir, `layer${i}.bin`), mb);
    lines.push(`COPY layer${i}.bin /data/layer${i}.bin`);
  }
  await writeFile(join(dir, "Dockerfile"), lines.join("\n") + "\n");
  await run("docker", ["build", "-q", "-t", image, dir], { maxBuffer: 1 << 24 });
  tagged.push(image);
  return image;
}

try {
  // As when iterating on a model: the base image's layers went to this registry before (by both tools), and
  // each round pushes new layers on top of it.
  const baseRef = `${registry}/bench-base-${stamp}:v1`;
  await run("docker", ["tag", "debian:bookworm-slim", baseRef]);
  tagged.push(baseRef);
  await run("docker", ["push", "-q", baseRef]);
  await time(process.execPath, [join(ROOT, "bin", "cog.js"), "push", "--no-build", baseRef], { COGTS_CACHE_DIR: cache });
  const results = { docker: [], cogts: [], noop: [], save: [] };
  for (let round = 0; round < rounds; round++) {
    const image = await buildImage(round);
    if (round === 0) {
      const size = Number((await run("docker", ["image", "inspect", "-f", "{{.Size}}", image])).stdout.trim());
      console.log(`image: ${(size / 1e6).toFixed(0)} MB in ${split.length + 1} layers (${split.join(" + ")} MB random data + base)`);
    }
    const dockerRef = `${registry}/bench-docker-${stamp}-${round}:v1`;
    const cogtsRef = `${registry}/bench-cogts-${stamp}-${round}:v1`;
    await run("docker", ["tag", image, dockerRef]);
    await run("docker", ["tag", image, cogtsRef]);
    tagged.push(dockerRef, cogtsRef);
    // Alternate who goes first, so page-cache warmth does not favour one tool.
    const order = round % 2 === 0 ? ["docker", "cogts"] : ["cogts", "docker"];
    const roundCache = cache;
    let d, c;
    for (const who of order) {
      if (who === "docker") d = await time("docker", ["push", "-q", dockerRef]);
      // New layers: export, compression and upload all count.
      else c = await time(process.execPath, [join(ROOT, "bin", "cog.js"), "push", "--no-build", cogtsRef], { COGTS_CACHE_DIR: roundCache });
    }
    // The floor of any push that reads layers through the engine API: the image save stream alone.
    const save = await time("sh", ["-c", `docker save ${image} > /dev/null`]);
    results.save.push(save.seconds);
    results.docker.push(d.seconds);
    results.cogts.push(c.seconds);
    for (let i = 0; i < 3; i++) {
      const n = await time(process.execPath, [join(ROOT, "bin", "cog.js"), "push", "--no-build", cogtsRef], { COGTS_CACHE_DIR: roundCache });
      if (n.out !== c.out) throw new Error(`no-op re-push gave ${n.out}, first push ${c.out}`);
      results.noop.push(n.seconds);
    }
    console.log(`round ${round + 1}: docker push ${d.seconds.toFixed(2)} s, cogts push ${c.seconds.toFixed(2)} s (${(d.seconds / c.seconds).toFixed(2)}x), docker save alone ${save.seconds.toFixed(2)} s, no-op re-push ${results.noop.slice(-3).map((s) => s.toFixed(2)).join(" / ")} s`);
  }
  const best = (xs) => Math.min(...xs);
  const ratio = best(results.docker) / best(results.cogts);
  const perRound = results.docker.map((d, i) => d / results.cogts[i]).sort((a, b) => a - b);
  const medianRatio = perRound[Math.floor(perRound.length / 2)];
  const noop = best(results.noop);
  console.log("");
  console.log(`docker push (best)     ${best(results.docker).toFixed(2)} s`);
  console.log(`cogts push (best)      ${best(results.cogts).toFixed(2)} s   ${ratio.toFixed(2)}x faster than docker push (goal >= 1.5x: ${ratio >= 1.5 ? "met" : "NOT met"})`);
  console.log(`per-round ratio (median of ${perRound.length})  ${medianRatio.toFixed(2)}x`);
  console.log(`docker save (best)     ${best(results.save).toFixed(2)} s   (reading the layers through the engine API, which cogts push needs first)`);
  console.log(`no-op re-push (best)   ${noop.toFixed(2)} s   (goal < 1 s: ${noop < 1 ? "met" : "NOT met"})`);
} finally {
  if (tagged.length) await run("docker", ["rmi", "-f", ...tagged]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
  await rm(cache, { recursive: true, force: true });
}
