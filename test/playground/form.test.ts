import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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

// A 1x1 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC",
  "base64",
);

describe("the playground's form (cog serve --no-docker --playground, every input type)", () => {
  let browser: Browser;
  let served: CogProcess;
  let url: string;
  let api: string;
  let page: Page;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "cogts-playground-"));
    writeFileSync(join(work, "dot.png"), PNG);
    writeFileSync(join(work, "mask.bin"), Buffer.alloc(7, 1));
    [browser, { cog: served, url, api }] = await Promise.all([
      launchBrowser(),
      servePlayground(join(PLAYGROUND_FIXTURES, "kitchen")),
    ]);
    page = await browser.page();
    await openReady(page, url);
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("draws one native control per input, in x-order, labelled, with defaults, help, required and deprecated marks", async () => {
    const ids = await page
      .locator("#fields .field")
      .evaluateAll((nodes) => nodes.map((n) => `${n.id}:${n.getAttribute("data-kind")}`));
    expect(ids).toEqual([
      "field-prompt:text",
      "field-tag:text",
      "field-steps:number",
      "field-guidance:number",
      "field-seed:number",
      "field-upscale:boolean",
      "field-scheduler:select",
      "field-size:select",
      "field-image:file",
      "field-masks:files",
      "field-words:list",
      "field-weights:list",
      "field-token:secret",
      "field-mix:json",
      "field-legacy:text",
      "field-note:text",
    ]);
    // Long text is a textarea, a short one (maxLength 12) a text box.
    expect(await page.getByLabel(/^Prompt/).evaluate((n) => n.tagName)).toBe("TEXTAREA");
    expect(await page.getByLabel(/^Prompt/).inputValue()).toBe("a watercolor fox");
    expect(await page.getByLabel(/^Tag/).getAttribute("maxlength")).toBe("12");
    // Bounded numbers: a number box with its bounds and a slider; an unbounded one has no slider.
    const steps = page.getByRole("spinbutton", { name: /^Steps/ });
    expect([await steps.getAttribute("min"), await steps.getAttribute("max"), await steps.inputValue()]).toEqual([
      "1",
      "50",
      "20",
    ]);
    expect(await page.locator("#field-steps input[type=range]").count()).toBe(1);
    expect(await page.locator("#field-seed input[type=range]").count()).toBe(0);
    expect(await page.getByRole("checkbox", { name: /^Upscale/ }).isChecked()).toBe(false);
    expect(
      await page
        .getByRole("combobox", { name: /^Scheduler/ })
        .locator("option:checked")
        .textContent(),
    ).toBe("euler");
    expect(await page.getByRole("combobox", { name: /^Size/ }).locator("option:checked").textContent()).toBe("512");
    expect(await page.getByLabel(/^Token/).getAttribute("type")).toBe("password");
    expect(await page.locator("#field-token .required").count()).toBe(1);
    expect(await page.locator("#field-legacy .deprecated").textContent()).toBe("deprecated");
    expect(
      await page
        .getByLabel(/^Steps/)
        .first()
        .getAttribute("aria-describedby"),
    ).toBe("help-steps err-steps");
    expect(await page.locator("#help-steps").textContent()).toContain("Denoising steps");
    expect(
      await page
        .locator("#field-words input[type=text]")
        .evaluateAll((n) => n.map((i) => (i as unknown as { value: string }).value)),
    ).toEqual(["alpha", "beta"]);
  });

  it("moves through the form with Tab in the order of the inputs (sliders are for the mouse)", async () => {
    await page.locator("#in-prompt").focus();
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press("Tab");
      order.push(await page.evaluate("document.activeElement.id"));
    }
    expect(order).toEqual(["in-tag", "in-steps", "in-guidance", "in-seed"]);
  });

  it("takes a file dropped on the drop zone, with a preview", async () => {
    const dataTransfer = await page.evaluateHandle(`(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array([1, 2, 3])], "dropped.wav", { type: "audio/wav" }));
      return transfer;
    })()`);
    await page.locator("#field-masks .drop").dispatchEvent("drop", { dataTransfer });
    await expect.poll(() => page.locator("#field-masks .preview").innerText()).toContain("dropped.wav (3 bytes)");
    expect(await page.locator("#field-masks .preview audio").count()).toBe(1);
  });

  it("marks missing required inputs and invalid JSON at their fields before sending", async () => {
    await page.getByLabel(/^Mix/).fill("{not json");
    await expect.poll(() => page.locator("#err-mix").textContent()).toContain("not valid JSON");
    await page.getByLabel(/^Mix/).fill("[1]");
    await expect.poll(() => page.locator("#err-mix").textContent()).toContain("expected string or number");
    await page.getByRole("button", { name: "Run", exact: true }).click();
    expect(await page.locator("#err-token").textContent()).toBe("required");
    expect(await page.locator("#err-image").textContent()).toBe("required");
    expect(await page.getByLabel(/^Token/).getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator("#status").textContent()).toBe("No prediction yet.");
  });

  it("uploads a file and every other kind of value, and shows the output as a JSON tree", async () => {
    await page.locator("#in-image").setInputFiles(join(work, "dot.png"));
    await page.locator("#field-image .preview img").waitFor();
    await page.locator("#in-masks").setInputFiles([join(work, "mask.bin"), join(work, "dot.png")]);
    await page.getByLabel(/^Token/).fill("s3cret!");
    await page.getByLabel(/^Mix/).fill('"word"');
    await page.getByRole("spinbutton", { name: /^Steps/ }).fill("30");
    await page.getByRole("checkbox", { name: /^Upscale/ }).check();
    await page.getByRole("combobox", { name: /^Scheduler/ }).selectOption({ label: "k_lms" });
    await page.getByRole("combobox", { name: /^Size/ }).selectOption({ label: "1024" });
    await page.getByRole("button", { name: "Add a weights item" }).click();
    await page.locator("#field-weights input").first().fill("0.25");
    await page.getByLabel(/^Note/).fill("hello");
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 30_000 }).toBe("Succeeded.");
    const tree = await page.locator("#output .tree").innerText();
    for (const shown of [
      `image_bytes: ${PNG.length}`,
      "mask_sizes",
      "steps: 30",
      "upscale: true",
      '"k_lms"',
      "size: 1024",
      "token_length: 7",
      '"word"',
      "0.25",
      '"hello"',
    ]) {
      expect(tree).toContain(shown);
    }
    expect(tree).toContain(`${PNG.length}`);
    expect(await page.locator("#metrics").textContent()).toMatch(/predict_time \d+\.\d{3} s/);
    expect(await page.locator("#history li").count()).toBe(1);
    // The history lists the inputs, but not the secret.
    const listed = await page.locator("#history li").innerText();
    expect(listed).not.toContain("s3cret!");
  });

  it("shows a 422 from the server beside its field", async () => {
    await page.getByRole("spinbutton", { name: /^Steps/ }).fill("500");
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await expect.poll(() => page.locator("#err-steps").textContent()).toMatch(/500.*50|less than or equal/);
    expect(await page.locator("#field-steps").getAttribute("data-invalid")).toBe("");
    expect(await page.locator("#status").textContent()).toContain("422");
    // Focus goes to the field the server refused.
    expect(await page.locator("#in-steps").evaluate((n) => n === n.ownerDocument.activeElement)).toBe(true);
  });

  it("gives the current inputs as curl, cog run and fetch against the model server", async () => {
    await page.getByRole("spinbutton", { name: /^Steps/ }).fill("25");
    await page.locator("#share summary").click();
    const curl = await page.locator("#code").textContent();
    expect(curl).toContain(`${api}/predictions`);
    expect(curl).toContain('"steps":25');
    await page.getByRole("tab", { name: "cog run" }).click();
    const run = await page.locator("#code").textContent();
    expect(run).toContain("-i 'image=@dot.png'");
    expect(run).toContain("-i 'steps=25'");
    await page.getByRole("tab", { name: "cog run" }).press("ArrowRight");
    expect(await page.getByRole("tab", { name: "JavaScript fetch" }).getAttribute("aria-selected")).toBe("true");
    expect(await page.locator("#code").textContent()).toContain(`fetch("${api}/predictions"`);
  });

  it("re-runs a prediction from the history and compares two runs", async () => {
    await page.getByRole("spinbutton", { name: /^Steps/ }).fill("10");
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await expect.poll(() => page.locator("#history li").count(), { timeout: 30_000 }).toBe(2);
    await page.getByRole("button", { name: "Re-run" }).last().click();
    await expect.poll(() => page.locator("#history li").count(), { timeout: 30_000 }).toBe(3);
    // The re-run sent run 1's inputs again (steps 30), the form shows them.
    expect(await page.locator("#output .tree").innerText()).toContain("steps: 30");
    expect(await page.getByRole("spinbutton", { name: /^Steps/ }).inputValue()).toBe("30");
    await page.getByRole("checkbox", { name: "Compare run 2" }).check();
    await page.getByRole("checkbox", { name: "Compare run 3" }).check();
    const compare = await page.locator("#compare").innerText();
    expect(compare).toContain("Run 2");
    expect(compare).toContain("Run 3");
    expect(await page.locator("#compare dd.diff").count()).toBe(2);
    expect(compare).toContain("••••••");
    expect(compare).not.toContain("s3cret!");
  });
});
