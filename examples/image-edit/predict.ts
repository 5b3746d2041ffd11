import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BasePredictor, Input, Path, type Int } from "cogts";
import { editImage, type Fit } from "./edit.js";

/** Resizes or upscales an image and converts it to WebP, PNG or JPEG. */
export class Predictor extends BasePredictor {
  /** Resize an image and convert its format */
  async predict(
    image: Path = Input({ description: "Image to edit", accept: "image/*" }),
    width: Int = Input({ description: "Output width in pixels (0: from height, keeping the aspect ratio)", default: 0, ge: 0, le: 8192 }),
    height: Int = Input({ description: "Output height in pixels (0: from width, keeping the aspect ratio)", default: 0, ge: 0, le: 8192 }),
    fit: string = Input({
      description: "How the image fits the box when both sides are given",
      default: "inside",
      choices: ["inside", "cover", "contain", "fill"],
    }),
    output_format: "webp" | "png" | "jpg" = Input({ description: "Format of the output image", default: "webp" }),
    output_quality: Int = Input({ description: "Quality of lossy formats (webp, jpg), 1-100", default: 80, ge: 1, le: 100 }),
  ): Promise<Path> {
    const outDir = await mkdtemp(join(tmpdir(), "image-edit-"));
    const file = await editImage(image.path, outDir, "output", {
      width,
      height,
      fit: fit as Fit,
      format: output_format,
      quality: output_quality,
    });
    return new Path(file);
  }
}
