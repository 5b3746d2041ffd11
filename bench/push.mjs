#!/usr/bin/env node
// Push benchmark: `cog push --no-build` (cogts) vs `docker push` of the same image, to the same local
// registry with fresh repository names, plus the no-op re-push time. Prints figures and ratios. cogts reads
// layers from the engine's storage when it can (here: yes, root and overlay2); the bench also times its
// fallback, the image save export (COGTS_PUSH_FROM_STORAGE=0), with a cache of its own.
//
//   eval "$(scripts/test-env up)"; node bench/push.mjs [--mb 320] [--rounds 1] [--profile weights|model|both]
//
// Two kinds of image, each fresh per round (new bytes in every layer, so neither tool finds them anywhere):
//   weights  random data in 4 layers: nothing compresses, so the time is export, hashing and registry ingest;
//   model    what a model image holds: real dependencies (this project's node_modules, which compress) in one
//            layer, weights (random) in another, code in a third.
// Goals: cogts at least 1.5x faster than docker push; a no-op re-push under 1 s.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const totalMb = flag("mb", 320);
const rounds = flag("rounds", 1);
const profileArg = (() => {
  const i = args.indexOf("--profile");
  return i >= 0 ? args[i + 1] : "both";
})();
const profiles = profileArg === "both" ? ["weights", "model"] : [profileArg];
if (!profiles.every((p) => p === "weights" || p === "model")) {
  console.error("--profile is weights, model or both");
  process.exit(2);
}
const registry = process.env.COGTS_TEST_REGISTRY;
if (!registry) {
  console.error('COGTS_TEST_REGISTRY is not set: run eval "$(scripts/test-env up)" first.');
  process.exit(2);
}

async function writeRandom(path, mb) {
  const out = createWriteStream(path);
  for (let i = 0; i < mb; i++) if (!out.write(randomBytes(1 << 20))) await new Promise((r) => out.once("drain", r));
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
}

function time(cmd, argv, env = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0) reject(new Error(`${cmd} ${argv.join(" ")} failed (${code}): ${err || out}`));
      else resolve({ seconds, out: out.trim() });
    });
  });
}

// The CLI runs from dist/: compile if it is missing.
if (!existsSync(join(ROOT, "dist", "src", "registry", "push.js"))) {
  await run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], {
    cwd: ROOT,
  }).catch(() => undefined);
}

const stamp = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
const dir = await mkdtemp(join(tmpdir(), "cogts-bench-push-"));
const cache = await mkdtemp(join(tmpdir(), "cogts-bench-cache-"));
const saveCache = await mkdtemp(join(tmpdir(), "cogts-bench-save-cache-"));
const tagged = [];
// Several layers of different sizes, like weights, dependencies and code.
const split = [0.5, 0.3, 0.15, 0.05].map((f) => Math.max(1, Math.round(totalMb * f)));

/** A fresh image per round (new bytes in every layer), so neither tool finds its layers in the registry already. */
async function buildImage(profile, round) {
  const image = `cogts-bench-push:${stamp}-${profile}-${round}`;
  const lines = ["FROM debian:bookworm-slim"];
  await rm(join(dir, "ctx"), { recursive: true, force: true });
  await mkdir(join(dir, "ctx"), { recursive: true });
  const salt = `${stamp}-${profile}-${round}\n`;
  if (profile === "weights") {
    for (const [i, mb] of split.entries()) {
      await writeRandom(join(dir, "ctx", `layer${i}.bin`), mb);
      lines.push(`COPY layer${i}.bin /data/layer${i}.bin`);
    }
  } else {
    // Dependencies: real files that compress (~3:1), made unique by a salt file.
    await cp(join(ROOT, "node_modules"), join(dir, "ctx", "deps", "node_modules"), { recursive: true });
    await writeFile(join(dir, "ctx", "deps", "salt"), salt);
    lines.push("COPY deps /app/deps");
    await writeRandom(join(dir, "ctx", "weights.bin"), split[1]);
    lines.push("COPY weights.bin /app/weights.bin");
    await cp(join(ROOT, "src"), join(dir, "ctx", "code"), { recursive: true });
    await writeFile(join(dir, "ctx", "code", "salt"), salt);
    lines.push("COPY code /app/src");
  }
  await writeFile(join(dir, "ctx", "Dockerfile"), lines.join("\n") + "\n");
  await run("docker", ["build", "-q", "-t", image, join(dir, "ctx")], { maxBuffer: 1 << 24 });
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
  await time(process.execPath, [join(ROOT, "bin", "cog.js"), "push", "--no-build", baseRef], {
    COGTS_CACHE_DIR: cache,
  });
  const summary = [];
  for (const profile of profiles) {
    const results = { docker: [], cogts: [], viaSave: [], noop: [], save: [] };
    for (let round = 0; round < rounds; round++) {
      const image = await buildImage(profile, round);
      if (round === 0) {
        const size = Number((await run("docker", ["image", "inspect", "-f", "{{.Size}}", image])).stdout.trim());
        const what =
          profile === "weights"
            ? `${split.join(" + ")} MB random data + base`
            : `node_modules + ${split[1]} MB random weights + src + base`;
        console.log(`${profile} image: ${(size / 1e6).toFixed(0)} MB (${what})`);
      }
      const dockerRef = `${registry}/bench-docker-${stamp}-${profile}-${round}:v1`;
      const cogtsRef = `${registry}/bench-cogts-${stamp}-${profile}-${round}:v1`;
      const viaSaveRef = `${registry}/bench-cogts-save-${stamp}-${profile}-${round}:v1`;
      for (const ref of [dockerRef, cogtsRef, viaSaveRef]) await run("docker", ["tag", image, ref]);
      tagged.push(dockerRef, cogtsRef, viaSaveRef);
      // Alternate who goes first, so page-cache warmth does not favour one tool.
      const order = round % 2 === 0 ? ["docker", "cogts", "viaSave"] : ["viaSave", "cogts", "docker"];
      let d, c, v;
      for (const who of order) {
        if (who === "docker") d = await time("docker", ["push", "-q", dockerRef]);
        // New layers: reading, compression and upload all count.
        else if (who === "cogts")
          c = await time(process.execPath, [join(ROOT, "bin", "cog.js"), "push", "--no-build", cogtsRef], {
            COGTS_CACHE_DIR: cache,
          });
        else
          v = await time(process.execPath, [join(ROOT, "bin", "cog.js"), "push", "--no-build", viaSaveRef], {
            COGTS_CACHE_DIR: saveCache,
            COGTS_PUSH_FROM_STORAGE: "0",
          });
      }
      // What the fallback pays before its first byte: the image save stream alone.
      const save = await time("sh", ["-c", `docker save ${image} > /dev/null`]);
      results.save.push(save.seconds);
      results.docker.push(d.seconds);
      results.cogts.push(c.seconds);
      results.viaSave.push(v.seconds);
      for (let i = 0; i < 3; i++) {
        const n = await time(process.execPath, [join(ROOT, "bin", "cog.js"), "push", "--no-build", cogtsRef], {
          COGTS_CACHE_DIR: cache,
        });
        if (n.out !== c.out) throw new Error(`no-op re-push gave ${n.out}, first push ${c.out}`);
        results.noop.push(n.seconds);
      }
      console.log(
        `${profile} round ${round + 1}: docker push ${d.seconds.toFixed(2)} s, cogts push ${c.seconds.toFixed(2)} s (${(d.seconds / c.seconds).toFixed(2)}x), through image save ${v.seconds.toFixed(2)} s (${(d.seconds / v.seconds).toFixed(2)}x), docker save alone ${save.seconds.toFixed(2)} s, no-op re-push ${results.noop
          .slice(-3)
          .map((s) => s.toFixed(2))
          .join(" / ")} s`,
      );
    }
    summary.push([profile, results]);
  }
  const best = (xs) => Math.min(...xs);
  console.log("");
  for (const [profile, results] of summary) {
    const ratio = best(results.docker) / best(results.cogts);
    const perRound = results.docker.map((d, i) => d / results.cogts[i]).sort((a, b) => a - b);
    const medianRatio = perRound[Math.floor(perRound.length / 2)];
    const noop = best(results.noop);
    console.log(`[${profile}]`);
    console.log(`  docker push (best)     ${best(results.docker).toFixed(2)} s`);
    console.log(
      `  cogts push (best)      ${best(results.cogts).toFixed(2)} s   ${ratio.toFixed(2)}x faster than docker push (goal >= 1.5x: ${ratio >= 1.5 ? "met" : "NOT met"}); per-round median ${medianRatio.toFixed(2)}x of ${perRound.length}`,
    );
    console.log(
      `  cogts via image save   ${best(results.viaSave).toFixed(2)} s   ${(best(results.docker) / best(results.viaSave)).toFixed(2)}x faster than docker push (the fallback when the engine's storage cannot be read)`,
    );
    console.log(
      `  docker save (best)     ${best(results.save).toFixed(2)} s   = ${(best(results.save) / best(results.docker)).toFixed(2)}x of docker push's time, spent by the fallback before it can hash or send a byte`,
    );
    console.log(`  no-op re-push (best)   ${noop.toFixed(2)} s   (goal < 1 s: ${noop < 1 ? "met" : "NOT met"})`);
  }
} finally {
  if (tagged.length) await run("docker", ["rmi", "-f", ...tagged]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
  await rm(cache, { recursive: true, force: true });
  await rm(saveCache, { recursive: true, force: true });
}
