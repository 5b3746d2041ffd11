/**
 * Shared by the example tests: installs an example's npm dependencies from its lockfile, makes the SDK importable
 * as `cogts` from the examples (the image and `cog run --no-docker` provide it to users' projects), and renders
 * test images with sharp.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const EXAMPLES_DIR = join(REPO_ROOT, "examples");

export function exampleDir(name: string): string {
  return join(EXAMPLES_DIR, name);
}

/**
 * `npm ci` in the example when its node_modules is missing or older than its lockfile. Offline-first: the npm cache
 * serves repeated runs.
 */
export async function installExample(name: string): Promise<string> {
  await requireSystemPackages();
  const dir = exampleDir(name);
  // Test files run in parallel processes: one lock per example, and the freshness check inside it.
  const script =
    '[ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] || ' +
    "npm ci --no-audit --no-fund --prefer-offline";
  // onnxruntime-node's install script would fetch its CUDA provider from outside npm: its documented switch skips it.
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" };
  await run("flock", [join(tmpdir(), `cogts-example-${name}.lock`), "sh", "-c", script], { cwd: dir, env, timeout: 300_000 });
  linkSdk();
  return dir;
}

/**
 * Debian packages the example tests need on this machine: espeak-ng (the TTS example run without Docker) and a
 * font (text rendered into test images). Installed with apt when missing and running as root, as the test
 * environment installs its own tools; otherwise a clear error says what to install.
 */
export async function requireSystemPackages(): Promise<void> {
  const missing: string[] = [];
  if (!(await succeeds("espeak-ng", ["--version"]))) missing.push("espeak-ng");
  if (!(await succeeds("sh", ["-c", "fc-list | grep -q ."]))) missing.push("fonts-dejavu-core", "fontconfig");
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`the example tests need: apt-get install ${missing.join(" ")}`);
  systemPackagesLock ??= (async () => {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const install = `apt-get update -qq && apt-get install -y -qq ${missing.join(" ")}`;
    await run("flock", ["/tmp/cogts-apt.lock", "sh", "-c", install], { env, timeout: 600_000 });
  })();
  await systemPackagesLock;
}
let systemPackagesLock: Promise<void> | undefined;

async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args, { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** `examples/node_modules/cogts` -> the repository, so `import ... from "cogts"` resolves to the built SDK. */
export function linkSdk(): void {
  const sdk = join(REPO_ROOT, "dist", "runtime", "sdk", "index.js");
  if (!existsSync(sdk)) throw new Error(`${sdk} is missing: run "npm run build" first`);
  const link = join(EXAMPLES_DIR, "node_modules", "cogts");
  mkdirSync(dirname(link), { recursive: true });
  try {
    if (readlinkSync(link) === join("..", "..")) return;
  } catch {
    // not there yet
  }
  try {
    symlinkSync(join("..", ".."), link, "dir");
  } catch (error) {
    // Another test file may have made it at the same moment.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

/** Imports a module of an example (its predictor) after installing the example. */
export async function importExample<T = Record<string, unknown>>(name: string, file: string): Promise<T> {
  const dir = await installExample(name);
  return (await import(join(dir, file))) as T;
}

/** The part of sharp's API the tests use (the repository's own type-check cannot see the example's sharp). */
export interface SharpImage {
  png(): SharpImage;
  toFile(file: string): Promise<unknown>;
  toBuffer(): Promise<Buffer>;
  metadata(): Promise<{ width?: number; height?: number; format?: string }>;
}
export type Sharp = (input: Buffer | string) => SharpImage;

/** sharp, from the image-edit example's own install (the repository itself does not depend on it). */
export async function loadSharp(): Promise<Sharp> {
  const dir = await installExample("image-edit");
  const require = createRequire(join(dir, "package.json"));
  return require("sharp") as Sharp;
}

/** A PNG of black text lines on white, rendered from SVG by sharp (librsvg, with the system's fonts). */
export async function renderTextPng(lines: string[], file: string, fontSize = 40): Promise<string> {
  const sharp = await loadSharp();
  const lineHeight = Math.round(fontSize * 1.5);
  const width = Math.max(...lines.map((line) => line.length)) * Math.round(fontSize * 0.62) + 80;
  const height = lines.length * lineHeight + 60;
  const text = lines
    .map((line, i) => `<text x="40" y="${50 + i * lineHeight}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}">${escapeXml(line)}</text>`)
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${text}</svg>`;
  await sharp(Buffer.from(svg)).png().toFile(file);
  return file;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}
