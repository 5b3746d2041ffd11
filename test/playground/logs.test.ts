import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  launchBrowser,
  openReady,
  PLAYGROUND_FIXTURES,
  servePlayground,
  type Browser,
  type CogProcess,
} from "./helpers.js";

describe("the playground with a model that does not stream", () => {
  let browser: Browser;
  let served: CogProcess;
  let url: string;

  beforeAll(async () => {
    [browser, { cog: served, url }] = await Promise.all([
      launchBrowser(),
      servePlayground(join(PLAYGROUND_FIXTURES, "steps")),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it("shows its logs as they are written (relayed webhooks), before the answer", async () => {
    const page = await browser.page();
    await openReady(page, url);
    await page.getByRole("spinbutton", { name: /^Steps/ }).fill("6");
    await page.getByRole("spinbutton", { name: /^Delay/ }).fill("0.7");
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await expect.poll(() => page.locator("#logs").textContent(), { timeout: 10_000 }).toContain("step 1");
    expect(await page.locator("#status").textContent()).toMatch(/^(Starting|Running)/);
    expect(await page.locator("#output").innerText()).toBe("");
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 15_000 }).toBe("Succeeded.");
    expect(await page.locator("#output").innerText()).toBe("done after 6 steps");
    expect(await page.locator("#logs").textContent()).toContain("step 5");
    // The relay is not a way in: a webhook for a token no page listens to is accepted and dropped, a bad token refused.
    const origin = new URL(url).origin;
    expect((await fetch(`${origin}/webhook/page-0123456789abcdef`, { method: "POST", body: "{}" })).status).toBe(200);
    expect((await fetch(`${origin}/webhook/x`, { method: "POST", body: "{}" })).status).toBe(404);
  });

  it("cancels it with the Cancel button", async () => {
    const page = await browser.page();
    await openReady(page, url);
    await page.getByRole("spinbutton", { name: /^Steps/ }).fill("20");
    await page.getByRole("spinbutton", { name: /^Delay/ }).fill("1");
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await expect.poll(() => page.locator("#logs").textContent(), { timeout: 10_000 }).toContain("step 0");
    await page.getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 10_000 }).toBe("Canceled.");
    expect(await page.locator("#history li").first().innerText()).toContain("canceled");
  });
});
