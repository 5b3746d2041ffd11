#!/usr/bin/env node
// Retakes docs/playground.png (run `npm run build` first; needs /usr/bin/chromium, as the browser tests do):
//   node docs/playground-screenshot.mjs
// Serves fixtures/playground/image with `cog serve --no-docker --playground`, runs it twice, and photographs the page.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const root = new URL("..", import.meta.url).pathname;
const server = spawn(
  process.execPath,
  [join(root, "bin/cog.js"), "serve", "--no-docker", "-p", "0", "--playground", "--playground-port", "0"],
  {
    cwd: join(root, "fixtures/playground/image"),
    stdio: ["ignore", "pipe", "inherit"],
  },
);
const url = await new Promise((resolve, reject) => {
  let text = "";
  server.stdout.on("data", (d) => {
    text += d;
    const match = /^(http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(text);
    if (match) resolve(match[1]);
  });
  server.on("exit", (code) => reject(new Error(`cog serve exited (${code})`)));
});
const profile = mkdtempSync(join(tmpdir(), "cogts-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
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
  viewport: { width: 1100, height: 760 },
});
try {
  const page = await context.newPage();
  await page.goto(url);
  await page.locator("#health[data-status=READY]").waitFor({ timeout: 60_000 });
  const run = async (colour, size) => {
    await page.getByRole("combobox", { name: /^Colour/ }).selectOption({ label: colour });
    await page.getByRole("spinbutton", { name: /^Size/ }).fill(String(size));
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await page.locator("#status[data-status=succeeded]").waitFor();
  };
  await run("green", 96);
  await run("blue", 160);
  await page.locator("#share summary").click();
  await page.screenshot({ path: join(root, "docs/playground.png") });
  console.log("docs/playground.png written");
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  server.kill("SIGTERM");
}
