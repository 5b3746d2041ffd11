import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BasePredictor, Input, Path, type Int } from "cogts";
import { editImage } from "./edit.js";

/** Makes several sizes of one image at once (thumbnails, responsive images): a list of files out. */
export class SizesPredictor extends BasePredictor {
  /** Resize an image to each of the given widths */
  async predict(
    image: Path = Input({ description: "Image to resize", accept: "image/*" }),
    widths: Int[] = Input({ description: "Output widths in pixels, one file each", default: [256, 512, 1024] }),
    output_format: "webp" | "png" | "jpg" = Input({ description: "Format of the output images", default: "webp" }),
    output_quality: Int = Input({ description: "Quality of lossy formats (webp, jpg), 1-100", default: 80, ge: 1, le: 100 }),
  ): Promise<Path[]> {
    if (widths.length === 0) throw new Error("widths: give at least one width");
    const bad = widths.filter((width) => !Number.isInteger(width) || width < 1 || width > 8192);
    if (bad.length > 0) throw new Error(`widths: each width must be an integer from 1 to 8192, got ${bad.join(", ")}`);
    const outDir = await mkdtemp(join(tmpdir(), "image-sizes-"));
    const files: Path[] = [];
    for (const width of widths) {
      const options = { width, height: 0, fit: "inside" as const, format: output_format, quality: output_quality };
      files.push(new Path(await editImage(image.path, outDir, `w${width}`, options)));
    }
    return files;
  }
}
