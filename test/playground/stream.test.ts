import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  launchBrowser,
  openReady,
  PLAYGROUND_FIXTURES,
  servePlayground,
  type Browser,
  type CogProcess,
} from "./helpers.js";

describe("the playground with a streaming model (SSE through the proxy)", () => {
  let browser: Browser;
  let served: CogProcess;
  let url: string;
  let page: Page;

  beforeAll(async () => {
    [browser, { cog: served, url }] = await Promise.all([
      launchBrowser(),
      servePlayground(join(PLAYGROUND_FIXTURES, "tokens")),
    ]);
    page = await browser.page();
    await openReady(page, url);
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  const run = () => page.getByRole("button", { name: "Run", exact: true }).click();
  const output = () => page.locator("#output").innerText();
  const status = () => page.locator("#status").textContent();

  it("shows the first token while the prediction still runs, then the whole text and the logs", async () => {
    await page.getByLabel(/^Text/).fill("one two three four five six");
    await page.getByRole("spinbutton", { name: /^Delay/ }).fill("0.4");
    await run();
    await expect.poll(output, { timeout: 10_000 }).toContain("one");
    // Seen before completion: the last token is 2 s away, the status says it is still running.
    expect(await output()).not.toContain("six");
    expect(await status()).toMatch(/^(Starting|Running)/);
    expect(await page.getByRole("button", { name: "Cancel" }).isEnabled()).toBe(true);
    await expect.poll(status, { timeout: 15_000 }).toBe("Succeeded.");
    expect(await output()).toBe("one two three four five six");
    expect(await page.locator("#logs").textContent()).toContain("token 5");
    expect(await page.locator("#metrics").textContent()).toMatch(/predict_time \d/);
  });

  it("explains a 409 when another prediction is running", async () => {
    await page.getByLabel(/^Text/).fill("a b c d e f g h");
    await page.getByRole("spinbutton", { name: /^Delay/ }).fill("1");
    await run();
    await expect.poll(output, { timeout: 10_000 }).toContain("a");
    const second = await browser.page();
    await second.goto(url);
    await second.locator("#health[data-status=BUSY]").waitFor();
    await second.getByRole("button", { name: "Run", exact: true }).click();
    await expect
      .poll(() => second.locator("#form-error").textContent(), { timeout: 10_000 })
      .toContain("409 Conflict: the model is already running a prediction");
    expect(await second.locator("#status").textContent()).toBe("Refused (409).");
    await second.close();
    await page.getByRole("button", { name: "Cancel" }).click();
    await expect.poll(status, { timeout: 15_000 }).toBe("Canceled.");
  });

  it("cancels a streaming prediction with the Cancel button, and the model is free again", async () => {
    await page.getByLabel(/^Text/).fill("w1 w2 w3 w4 w5 w6 w7 w8 w9 w10");
    await page.getByRole("spinbutton", { name: /^Delay/ }).fill("1");
    await run();
    await expect.poll(output, { timeout: 10_000 }).toContain("w1");
    const started = Date.now();
    await page.getByRole("button", { name: "Cancel" }).click();
    await expect.poll(status, { timeout: 10_000 }).toBe("Canceled.");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await output()).not.toContain("w10");
    expect(await page.locator("#history li").first().innerText()).toContain("canceled");
    await page.getByLabel(/^Text/).fill("again");
    await page.getByRole("spinbutton", { name: /^Delay/ }).fill("0");
    await run();
    await expect.poll(status, { timeout: 10_000 }).toBe("Succeeded.");
    expect(await output()).toBe("again");
  });
});
