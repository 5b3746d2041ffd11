import { execFileSync } from "node:child_process";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPlayground, type Playground } from "../../src/playground/index.js";
import { launchBrowser, type Browser } from "./helpers.js";

/** The page's own modules, run in the browser on values no fixture needs to produce. */
describe("the playground's output rendering and request snippets", () => {
  let browser: Browser;
  let playground: Playground;
  let page: Page;

  beforeAll(async () => {
    [browser, playground] = await Promise.all([
      launchBrowser(),
      startPlayground({ target: "http://127.0.0.1:9", port: 0 }),
    ]);
    page = await browser.page();
    await page.goto(playground.url);
  });
  afterAll(async () => {
    await browser?.close();
    await playground?.close();
  });

  // Written as text: vitest would rewrite a dynamic import() inside a function handed to the page.
  const inPage = <T>(module: string, body: string, args: unknown): Promise<T> =>
    page.evaluate(
      `(async (args) => { const m = await import("${playground.url}assets/${module}"); ${body} })(${JSON.stringify(args)})`,
    );

  /** Renders `value` into a fresh element; returns a summary of the tags it holds. */
  const render = (value: unknown, schema: Record<string, unknown> = {}) =>
    inPage<{ tags: string[]; text: string; links: (string | null)[] }>(
      "output.js",
      `
      const node = m.outputNode(args[0], args[1]);
      const tags = [node, ...node.querySelectorAll("*")].map((n) => n.tagName.toLowerCase() + (n.className ? "." + n.className : ""));
      const links = [...node.querySelectorAll("a")].map((a) => a.getAttribute("download"));
      return { tags, text: node.textContent, links };`,
      [value, schema],
    );

  it("plays audio and video by MIME type, from data: and http URLs", async () => {
    expect((await render("data:audio/wav;base64,UklGRg==")).tags).toContain("audio.out-media");
    expect((await render("https://example.invalid/clip.mp4?sig=1")).tags).toContain("video.out-media");
    expect((await render("data:image/png;base64,iVBORw0KGgo=")).tags).toContain("img.out-media");
    const file = await render("data:application/octet-stream;base64,AAAA");
    expect(file.tags).not.toContain("img.out-media");
    expect(file.links).toEqual(["output.octet-stream"]);
  });

  it("shows a list of files as a gallery, text as text, numbers, and objects as a tree", async () => {
    const gallery = await render([
      "data:image/png;base64,AA==",
      "data:image/png;base64,AA==",
      "https://example.invalid/b.wav",
    ]);
    expect(gallery.tags[0]).toBe("div.gallery");
    expect(gallery.tags.filter((t) => t === "figure")).toHaveLength(3);
    expect(gallery.links).toEqual(["output.0.png", "output.1.png", "b.wav"]);
    expect(await render(["Hel", "lo"], { "x-cog-array-display": "concatenate" })).toMatchObject({
      tags: ["pre.out-text"],
      text: "Hello",
    });
    expect(await render(3.5)).toMatchObject({ tags: ["output.out-number"], text: "3.5" });
    const tree = await render({ label: "cat", scores: { cat: 0.9 }, tags: [] });
    expect(tree.tags[0]).toBe("div.tree");
    expect(tree.text).toContain('label: "cat"');
    expect(tree.text).toContain("cat: 0.9");
  });

  it("quotes the curl and cog run commands so a shell passes every value through unchanged", async () => {
    const input = { prompt: 'it\'s a "test" $HOME `x`', n: 2 };
    const { curl, run } = await inPage<{ curl: string; run: string }>(
      "share.js",
      `
      return { curl: m.curlCommand("http://127.0.0.1:5000", args), run: m.cogRunCommand(args, new Map([["prompt", "text"], ["n", "number"]])) };`,
      input,
    );
    // The same words, printed one a line by the shell instead of run.
    const curlWords = execFileSync("bash", ["-c", curl.replace(/^curl/, "printf '%s\\n'")], { encoding: "utf8" }).split(
      "\n",
    );
    expect(JSON.parse(curlWords[curlWords.indexOf("-d") + 1]!)).toEqual({ input });
    const runWords = execFileSync("bash", ["-c", run.replace(/^cog run/, "printf '%s\\n'")], { encoding: "utf8" })
      .trim()
      .split("\n");
    expect(runWords).toEqual(["-i", `prompt=${input.prompt}`, "-i", "n=2"]);
  });
});
