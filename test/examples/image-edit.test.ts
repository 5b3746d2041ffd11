import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { isPath, Path } from "../../runtime/sdk/index.js";
import { importExample, loadSharp, type Sharp } from "./helpers.js";

type Predict = (...args: unknown[]) => Promise<unknown>;
interface PredictorModule {
  Predictor?: new () => { predict: Predict };
  SizesPredictor?: new () => { predict: Predict };
}

const work = mkdtempSync(join(tmpdir(), "image-edit-test-"));
let sharp: Sharp;
let source: Path;
let edit: Predict;
let sizes: Predict;

beforeAll(async () => {
  sharp = await loadSharp();
  const { Predictor } = await importExample<PredictorModule>("image-edit", "predict.ts");
  const { SizesPredictor } = await importExample<PredictorModule>("image-edit", "sizes.ts");
  const editor = new Predictor!();
  const resizer = new SizesPredictor!();
  edit = editor.predict.bind(editor);
  sizes = resizer.predict.bind(resizer);
  // A 300x200 gradient-ish image: an SVG rendered to PNG.
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"><rect width="300" height="200" fill="#3060c0"/><circle cx="150" cy="100" r="70" fill="#f0c020"/></svg>`;
  const file = join(work, "source.png");
  await sharp(Buffer.from(svg)).png().toFile(file);
  source = new Path(file);
}, 300_000);

async function describeImage(output: unknown): Promise<{ width?: number; height?: number; format?: string }> {
  expect(isPath(output)).toBe(true);
  return sharp((output as Path).path).metadata();
}

describe("examples/image-edit", () => {
  it("upscales to the requested width as WebP, keeping the aspect ratio", async () => {
    const output = await edit(source, 600, 0, "inside", "webp", 80);
    expect((output as Path).path).toMatch(/\.webp$/);
    expect(await describeImage(output)).toMatchObject({ width: 600, height: 400, format: "webp" });
  });

  it("resizes to an exact box as PNG with fit=fill", async () => {
    const output = await edit(source, 64, 64, "fill", "png", 80);
    expect(await describeImage(output)).toMatchObject({ width: 64, height: 64, format: "png" });
  });

  it("writes JPEG with the requested quality: lower quality, smaller file", async () => {
    const { statSync } = await import("node:fs");
    const high = (await edit(source, 0, 400, "inside", "jpg", 95)) as Path;
    const low = (await edit(source, 0, 400, "inside", "jpg", 10)) as Path;
    expect(await describeImage(high)).toMatchObject({ width: 600, height: 400, format: "jpeg" });
    expect(statSync(low.path).size).toBeLessThan(statSync(high.path).size);
  });

  it("keeps the size when neither width nor height is given", async () => {
    const output = await edit(source, 0, 0, "inside", "png", 80);
    expect(await describeImage(output)).toMatchObject({ width: 300, height: 200, format: "png" });
  });

  it("returns one file per requested width in the list variant", async () => {
    const outputs = (await sizes(source, [50, 150, 900], "png", 80)) as Path[];
    expect(outputs).toHaveLength(3);
    const described = await Promise.all(outputs.map(describeImage));
    expect(described).toEqual([
      { width: 50, height: 33, format: "png" },
      { width: 150, height: 100, format: "png" },
      { width: 900, height: 600, format: "png" },
    ].map((expected) => expect.objectContaining(expected)));
  });

  it("rejects a bad width in the list variant with a clear message", async () => {
    await expect(sizes(source, [100, 0], "png", 80)).rejects.toThrow(/widths: each width must be an integer from 1 to 8192, got 0/);
    await expect(sizes(source, [], "png", 80)).rejects.toThrow(/at least one width/);
  });
});
