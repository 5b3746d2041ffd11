#!/usr/bin/env node
/**
 * Build times and image size of a real model (fixtures/projects/resize: sharp), measured in one run:
 *   cold build (--no-cache), no-change rebuild, rebuild after a one-line change in predict.ts,
 *   and what the image adds over its base image, split into Node, the model's node_modules and cogts's own part.
 * Goals: code-only rebuild < 10% of the cold build; cogts's own part < 15 MB.
 *
 *   npm run build && eval "$(scripts/test-env up)" && node bench/build.mjs
 *
 * "Cold" means no layer cache; BuildKit's cache mounts (apt, npm) stay warm, as on a developer's machine after
 * the first build. Set COGTS_CA_CERT when the network needs an extra CA (NODE_EXTRA_CA_CERTS is used if set).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { buildModel, loadProject } = await import(path.join(root, "dist/src/model/index.js"));
const { connectEngine } = await import(path.join(root, "dist/src/docker/engine.js"));
const { baseImageFor, mirrorImage } = await import(path.join(root, "dist/src/dockerfile/generate.js"));

process.env.COGTS_CA_CERT ??= process.env.NODE_EXTRA_CA_CERTS;
const docker = connectEngine();
const dir = mkdtempSync(path.join(tmpdir(), "cogts-bench-build-"));
cpSync(path.join(root, "fixtures/projects/resize"), dir, { recursive: true });
const tag = `cogts-bench-build-${process.pid}`;
const quiet = {
  write() {
    return true;
  },
};

async function timedBuild(noCache) {
  const started = process.hrtime.bigint();
  const built = await buildModel({
    project: await loadProject(dir),
    tag,
    noCache,
    progress: "quiet",
    out: quiet,
    docker,
  });
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, built };
}

const MB = 1e6;
const fmt = (seconds) => `${seconds.toFixed(2)} s`;
try {
  const cold = await timedBuild(true);
  // Rebuilds are short and the machine is shared: the median of three of each.
  const median = (runs) => runs.map((run) => run.seconds).sort((a, b) => a - b)[1];
  const noChangeRuns = [];
  for (let i = 0; i < 3; i++) noChangeRuns.push(await timedBuild(false));
  const predictPath = path.join(dir, "predict.ts");
  const codeChangeRuns = [];
  for (let i = 0; i < 3; i++) {
    writeFileSync(
      predictPath,
      readFileSync(predictPath, "utf8").replace(
        /resizing( \(edit \d+\))? with libvips/,
        `resizing (edit ${i}) with libvips`,
      ),
    );
    codeChangeRuns.push(await timedBuild(false));
  }
  const noChange = { seconds: median(noChangeRuns) };
  const codeChange = { seconds: median(codeChangeRuns) };

  const image = await docker.getImage(tag).inspect();
  const base = mirrorImage(baseImageFor(cold.built.config, {}).image, process.env.COGTS_BASE_IMAGE_MIRROR);
  const baseSize = (await docker.getImage(base).inspect()).Size;
  const history = await docker.getImage(tag).history();
  const layers = history.slice(0, history.length - (await docker.getImage(base).history()).length);
  const sizeOf = (pattern) =>
    layers.filter((layer) => pattern.test(layer.CreatedBy)).reduce((sum, layer) => sum + layer.Size, 0);
  const node = sizeOf(/COPY \/usr\/local\/(bin\/node|lib\/node_modules\/npm)/);
  const nodeModules = sizeOf(/npm (ci|install)/);
  const added = image.Size - baseSize;
  const cogts = added - node - nodeModules;

  console.log(`image build of fixtures/projects/resize (sharp), engine BuildKit, base ${base}`);
  console.log(`  cold build (no layer cache)      ${fmt(cold.seconds)}`);
  console.log(
    `  no-change rebuild (median of 3)  ${fmt(noChange.seconds)}   (${((noChange.seconds / cold.seconds) * 100).toFixed(1)}% of cold)`,
  );
  console.log(
    `  predict.ts edit (median of 3)   ${fmt(codeChange.seconds)}   (${((codeChange.seconds / cold.seconds) * 100).toFixed(1)}% of cold; goal < 10%)`,
  );
  console.log(
    `  image size                       ${(image.Size / MB).toFixed(1)} MB; base ${(baseSize / MB).toFixed(1)} MB; added ${(added / MB).toFixed(1)} MB`,
  );
  console.log(`    Node (node + npm)              ${(node / MB).toFixed(1)} MB`);
  console.log(`    the model's node_modules       ${(nodeModules / MB).toFixed(1)} MB`);
  console.log(`    cogts (runtime, tini, code)    ${(cogts / MB).toFixed(2)} MB   (goal < 15 MB)`);
} finally {
  await docker
    .getImage(tag)
    .remove({ force: true })
    .catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
