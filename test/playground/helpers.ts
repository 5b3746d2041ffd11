/**
 * The playground's browser tests: Debian's Chromium (installed by scripts/test-env) driven by playwright-core, in
 * front of real servers started as users start them (`node bin/cog.js serve --no-docker --playground`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { ensureDistBuilt } from "../helpers/dist.js";
import { COG_BIN } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/test-env.js";

export const PLAYGROUND_FIXTURES = join(REPO_ROOT, "fixtures", "playground");
export const CHROMIUM = "/usr/bin/chromium";

export interface Browser {
  page(): Promise<Page>;
  close(): Promise<void>;
}

/** One headless Chromium per test file, with a fresh profile; never a browser download. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "cogts-chromium-"));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    viewport: { width: 1280, height: 900 },
  });
  const errors: string[] = [];
  return {
    async page() {
      const page = await context.newPage();
      page.on("pageerror", (error) => errors.push(error.message));
      page.setDefaultTimeout(15_000);
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      if (errors.length) throw new Error(`the page threw: ${errors.join("; ")}`);
    },
  };
}

export interface CogProcess {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** The first line of stdout matching `pattern`, waited for. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<number | null>;
}

/** Runs the compiled CLI (`bin/cog.js ARGS`) in `cwd`, as a user would. */
export async function cog(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CogProcess> {
  await ensureDistBuilt();
  const child = spawn(process.execPath, [COG_BIN, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    async line(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = `${stdout}\n${stderr}`.split("\n").find((line) => pattern.test(line));
        if (found) return found;
        if (child.exitCode !== null)
          throw new Error(`cog ${args.join(" ")} exited (${child.exitCode}):\n${stdout}\n${stderr}`);
        if (Date.now() > deadline)
          throw new Error(
            `no line matching ${pattern} from cog ${args.join(" ")} in ${timeoutMs} ms:\n${stdout}\n${stderr}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/$/;

/** `cog serve --no-docker --playground` over a fixture; resolves with the page's URL (the line it prints). */
export async function servePlayground(
  fixtureDir: string,
  env: Record<string, string> = {},
): Promise<{ cog: CogProcess; url: string; api: string }> {
  const served = await cog(
    ["serve", "--no-docker", "-p", "0", "--playground", "--playground-port", "0"],
    fixtureDir,
    env,
  );
  const url = await served.line(URL_LINE, 60_000);
  const api = (await served.line(/^Serving at /)).slice("Serving at ".length).trim();
  return { cog: served, url, api };
}

/** Waits until the form is drawn from the schema (the model is READY). */
export async function openReady(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.locator("#health[data-status=READY]").waitFor({ timeout: 60_000 });
  await page.locator("#fields .field").first().waitFor();
}
