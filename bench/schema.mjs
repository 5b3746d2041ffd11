#!/usr/bin/env node
/**
 * Schema generation speed: cold `cog schema` (cache cleared), cached `cog schema`, and `tsc --noEmit` on the same
 * project as the reference, each run several times in child processes; prints medians and ratios.
 * Goals (issue 3): cold at most 0.5x tsc; cached under 50 ms (process time, and in-process time of the cached
 * path when Node's own start-up already takes most of that).
 *
 *   npm run build && node bench/schema.mjs [fixture-name] [runs]
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const fixture = process.argv[2] ?? "readme_example";
const runs = Number(process.argv[3] ?? 7);
const cli = join(root, "bin", "cog.js");
const cacheModule = join(root, "dist", "src", "schema", "cache.js");
if (!existsSync(cacheModule)) {
  console.error("bench/schema.mjs needs the built CLI: run `npm run build` first.");
  process.exit(1);
}
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

// A copy of the fixture, made a standalone TypeScript project so that tsc checks exactly what cog schema reads.
const project = mkdtempSync(join(tmpdir(), "cogts-bench-schema-"));
cpSync(join(root, "fixtures", "schema", fixture), project, { recursive: true });
rmSync(join(project, ".cog"), { recursive: true, force: true });
writeFileSync(
  join(project, "tsconfig.json"),
  JSON.stringify({
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ["node"],
      typeRoots: [join(root, "node_modules", "@types")],
      paths: { cogts: [join(root, "runtime", "sdk", "index.ts")] },
    },
    include: ["*.ts", "*.mts"],
  }),
);

function time(file, args, before) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    before?.();
    const start = process.hrtime.bigint();
    execFileSync(process.execPath, [file, ...args], { cwd: project, stdio: ["ignore", "ignore", "inherit"] });
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const clearCache = () => rmSync(join(project, ".cog"), { recursive: true, force: true });
const nodeStart = time("-e", ["0"]);
const tscTime = time(tsc, ["--noEmit", "-p", "tsconfig.json"]);
const cold = time(cli, ["schema"], clearCache);
execFileSync(process.execPath, [cli, "schema"], { cwd: project, stdio: "ignore" });
const cached = time(cli, ["schema"]);

// The cached path inside one process: hash check, read, serialise (what `cog schema` adds to Node start-up).
const { lookupCachedSchema } = await import(cacheModule);
const inProcess = [];
for (let i = 0; i < runs * 3; i++) {
  const start = process.hrtime.bigint();
  const document = lookupCachedSchema(project, "cog.yaml");
  if (!document) throw new Error("expected a cache hit");
  JSON.stringify(document, null, 2);
  inProcess.push(Number(process.hrtime.bigint() - start) / 1e6);
}

const ms = (value) => `${value.toFixed(1)} ms`.padStart(10);
console.log(`schema bench: fixture ${fixture}, ${runs} runs each, medians`);
console.log(`  node -e 0 (start-up)          ${ms(nodeStart)}`);
console.log(`  tsc --noEmit (reference)      ${ms(tscTime)}`);
console.log(`  cog schema, cold              ${ms(cold)}   ${(cold / tscTime).toFixed(2)}x tsc   (goal <= 0.50x)`);
console.log(`  cog schema, cached            ${ms(cached)}   ${(cached / tscTime).toFixed(2)}x tsc   (goal < 50 ms)`);
console.log(`  cached beyond node start-up   ${ms(cached - nodeStart)}`);
console.log(`  cached path in-process        ${ms(median(inProcess))}`);
rmSync(project, { recursive: true, force: true });
