import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDistBuilt } from "../helpers/dist.js";
import { FIXTURES } from "../server/helpers.js";
import {
  cog,
  launchBrowser,
  openReady,
  PLAYGROUND_FIXTURES,
  URL_LINE,
  type Browser,
  type CogProcess,
} from "./helpers.js";

/** `cog serve --no-docker` (no playground) and `cog playground --target` in front of it, as two processes. */
async function serveThenPlayground(
  dir: string,
  env: Record<string, string> = {},
): Promise<{ server: CogProcess; playground: CogProcess; url: string; api: string }> {
  const server = await cog(["serve", "--no-docker", "-p", "0"], dir, env);
  const api = (await server.line(/^Serving at /, 60_000)).slice("Serving at ".length).trim();
  const playground = await cog(["playground", "--target", api, "-p", "0", "--no-open"], dir);
  const url = await playground.line(URL_LINE);
  return { server, playground, url, api };
}

describe("cog playground --target in front of a running server", () => {
  let browser: Browser;
  const started: CogProcess[] = [];

  beforeAll(async () => {
    await ensureDistBuilt();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all(started.map((p) => p.stop()));
  });

  it("runs the model through its proxy and shows an image output as an image", async () => {
    const { server, playground, url, api } = await serveThenPlayground(join(PLAYGROUND_FIXTURES, "image"));
    started.push(server, playground);
    expect(playground.stderr()).toContain(`Playground for ${api}`);
    const page = await browser.page();
    await openReady(page, url);
    expect(await page.locator("#target").textContent()).toBe(api);
    await page.getByRole("combobox", { name: /^Colour/ }).selectOption({ label: "red" });
    await page.getByRole("spinbutton", { name: /^Size/ }).fill("48");
    await page.getByRole("button", { name: "Run", exact: true }).click();
    const image = page.locator("#output img");
    await image.waitFor({ timeout: 30_000 });
    expect(await image.getAttribute("src")).toMatch(/^data:image\/png;base64,/);
    // Decoded by the browser: a real 48x48 picture, red.
    await expect.poll(() => image.evaluate((n) => (n as unknown as { naturalWidth: number }).naturalWidth)).toBe(48);
    expect(await page.getByRole("link", { name: /^Download square\.png|^Download output/ }).count()).toBe(1);
    await page.close();
    // Stopping the playground leaves the model server running.
    expect(await playground.stop()).toBe(0);
    expect((await fetch(`${api}/health-check`)).status).toBe(200);
  });

  it("shows a STARTING model's setup progress, then opens the form when it is ready", async () => {
    const { server, playground, url } = await serveThenPlayground(join(FIXTURES, "setup_slow"), { SETUP_SECONDS: "4" });
    started.push(server, playground);
    const page = await browser.page();
    await page.goto(url);
    await page.locator("#health[data-status=STARTING]").waitFor();
    expect(await page.locator("#setup").isVisible()).toBe(true);
    expect(await page.locator("#setup-progress").isVisible()).toBe(true);
    expect(await page.locator("#setup-text").textContent()).toContain("running setup()");
    // The time setup has taken so far, counted from the server's setup.started_at.
    await expect.poll(() => page.locator("#setup-text").textContent()).toMatch(/\(\d+ s so far\)/);
    expect(await page.getByRole("button", { name: "Run", exact: true }).isDisabled()).toBe(true);
    await page.locator("#health[data-status=READY]").waitFor({ timeout: 30_000 });
    expect(await page.locator("#setup").isHidden()).toBe(true);
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await expect.poll(() => page.locator("#output").innerText(), { timeout: 10_000 }).toBe("ok");
    await page.close();
  });

  it("shows the setup logs of a model whose setup failed", async () => {
    const { server, playground, url } = await serveThenPlayground(join(FIXTURES, "setup_fail"));
    started.push(server, playground);
    const page = await browser.page();
    await page.goto(url);
    await page.locator("#health[data-status=SETUP_FAILED]").waitFor({ timeout: 30_000 });
    expect(await page.locator("#setup-text").textContent()).toContain("Setup failed");
    expect((await page.locator("#setup-logs").textContent())?.length).toBeGreaterThan(0);
    expect(await page.locator("#setup-progress").isHidden()).toBe(true);
    await page.close();
  });

  it("says when the model server cannot be reached", async () => {
    const playground = await cog(
      ["playground", "--target", "http://127.0.0.1:9", "-p", "0", "--no-open"],
      PLAYGROUND_FIXTURES,
    );
    started.push(playground);
    const page = await browser.page();
    await page.goto(await playground.line(URL_LINE));
    await page.locator("#health[data-status=UNREACHABLE]").waitFor();
    expect(await page.locator("#setup-text").textContent()).toContain(
      "Cannot reach the model server at http://127.0.0.1:9",
    );
    await page.close();
  });
});
