/**
 * The user-path suite runs cogts as a user has it: the `npm pack` tarball of this worktree, installed as the README
 * says into fresh projects in temporary folders, with `DOCKER_HOST` removed from the environment (the engine
 * answers on the default socket, /var/run/docker.sock). The tarball and the global install are made once per run
 * and shared by every test file (a directory lock keeps two vitest workers from making them at once).
 *
 * Kept from the test environment: COGTS_BASE_IMAGE_MIRROR (Docker Hub is out of reach here: the stand-in base
 * images stand in for it) and COGTS_CA_CERT (the machine's trust store).
 */
import { execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT, requireTestEnv } from "../helpers/test-env.js";

const run = promisify(execFile);

/** Where a run's shared tarball and global install live: keyed by the package's contents, reused while they hold. */
const SHARED_ROOT = path.join(tmpdir(), "cogts-user-path");

/** The README's Install section: its code blocks, in order. */
export function readmeInstallBlocks(): string[][] {
  const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  const section = /^## Install\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  if (!section) throw new Error("README.md has no ## Install section");
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) =>
    match[1]!
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith("#")),
  );
}

/**
 * The environment a user's shell has: this process's, without DOCKER_HOST (and the test-only settings), with the
 * npm cache of the real home (HOME may be a temporary folder) and npm quiet about funding and audits.
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  requireTestEnv();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (
      name === "DOCKER_HOST" ||
      name.startsWith("COGTS_TEST_") ||
      name.startsWith("VITEST") ||
      name === "NODE_OPTIONS"
    )
      delete env[name];
  }
  env.npm_config_cache = process.env.npm_config_cache ?? path.join(homedir(), ".npm");
  // The registry's metadata for cogts's dependencies is re-read at most once a run, not for every project.
  env.npm_config_prefer_offline = "true";
  env.npm_config_fund = "false";
  env.npm_config_audit = "false";
  env.npm_config_update_notifier = "false";
  return { ...env, ...extra };
}

function contentKey(): string {
  const hash = createHash("sha256");
  hash.update(readFileSync(path.join(REPO_ROOT, "package.json")));
  for (const top of ["src", "runtime", "bin", "schemas"]) {
    for (const entry of readdirSync(path.join(REPO_ROOT, top), { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      hash.update(`${path.relative(REPO_ROOT, file)} ${statSync(file).mtimeMs} ${statSync(file).size}\n`);
    }
  }
  return hash.digest("hex").slice(0, 16);
}

/** Runs `make` once across concurrent test files: the first to take the lock makes `done`, the others wait for it. */
async function once(dir: string, make: (dir: string) => Promise<void>): Promise<string> {
  const done = path.join(dir, ".done");
  const lock = `${dir}.lock`;
  await mkdir(path.dirname(dir), { recursive: true });
  for (const deadline = Date.now() + 10 * 60_000; !existsSync(done);) {
    try {
      await mkdir(lock);
    } catch {
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    try {
      if (existsSync(done)) break;
      await rm(dir, { recursive: true, force: true });
      const staging = `${dir}.tmp-${randomBytes(4).toString("hex")}`;
      await mkdir(staging, { recursive: true });
      await make(staging);
      await writeFile(path.join(staging, ".done"), "");
      await rename(staging, dir);
      await dropStale(path.dirname(dir), dir);
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
  return dir;
}

/** Earlier runs' tarballs and global installs (other sources) go once they are an hour old: each is ~100 MB. */
async function dropStale(root: string, keep: string): Promise<void> {
  for (const entry of readdirSync(root)) {
    const full = path.join(root, entry);
    if (full === keep || entry.endsWith(".lock")) continue;
    if (Date.now() - statSync(full).mtimeMs > 60 * 60_000) await rm(full, { recursive: true, force: true });
  }
}

export interface Packed {
  /** The folder holding the tarball (where the README's `npm install -g ./cogts-X.Y.Z.tgz` runs). */
  dir: string;
  tarball: string;
  version: string;
}

/** `npm pack` of this worktree (after `npm run build`, which `npm pack` does through `prepare`). */
export async function packCogts(): Promise<Packed> {
  const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string })
    .version;
  const dir = await once(path.join(SHARED_ROOT, `pack-${contentKey()}`), async (staging) => {
    await run("npm", ["pack", "--pack-destination", staging], { cwd: REPO_ROOT, env: userEnv(), maxBuffer: 64 << 20 });
  });
  return { dir, tarball: path.join(dir, `cogts-${version}.tgz`), version };
}

/** A global install of the tarball into its own prefix, as the README's `npm install -g` line: its `bin` goes on PATH. */
export async function globalInstall(packed: Packed, command: string): Promise<string> {
  const prefix = await once(path.join(SHARED_ROOT, `global-${path.basename(packed.dir)}`), async (staging) => {
    await shell(command, { cwd: packed.dir, env: userEnv({ npm_config_prefix: staging }) });
  });
  return prefix;
}

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command line with bash; rejects with its output when it fails (unless `allowFailure`). */
export function shell(
  line: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; allowFailure?: boolean; timeoutMs?: number },
): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", line], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 10 * 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const result = { code: code ?? 1, stdout, stderr };
      if (code !== 0 && !options.allowFailure)
        reject(new Error(`\`${line}\` in ${options.cwd} exited ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
      else resolve(result);
    });
  });
}

/** A fresh temporary folder; `files` written into it. */
export async function freshDir(prefix: string, files: Record<string, string | Buffer> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `cogts-up-${prefix}-`));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

/** A unique image name for this run (tests never reuse another run's tags). */
export function imageName(label: string): string {
  return `cogts-up-${label}-${randomBytes(3).toString("hex")}`;
}

/** `docker` CLI against the default socket (DOCKER_HOST removed), for what a user checks by hand. */
export async function docker(args: string[]): Promise<string> {
  const { stdout } = await run("docker", args, { env: userEnv(), maxBuffer: 64 << 20 });
  return stdout;
}

/** The image's size in bytes as the engine reports it. */
export async function imageSize(image: string): Promise<number> {
  return Number((await docker(["image", "inspect", "--format", "{{.Size}}", image])).trim());
}

/** Removes images this test made (by name), ignoring ones already gone. */
export async function removeImages(...images: string[]): Promise<void> {
  for (const image of images) await docker(["image", "rm", "-f", image]).catch(() => undefined);
}

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, "utf8")) as T;
}

/** Removes a temporary folder made by freshDir. */
export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}
