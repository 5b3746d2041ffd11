/** The image operations both predictors share, on sharp (libvips). */
import { join } from "node:path";
import sharp from "sharp";

export const OUTPUT_FORMATS = ["webp", "png", "jpg"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const FITS = ["inside", "cover", "contain", "fill"] as const;
export type Fit = (typeof FITS)[number];

export interface EditOptions {
  /** Target width in pixels; 0 keeps the aspect ratio from the height. */
  width: number;
  /** Target height in pixels; 0 keeps the aspect ratio from the width. */
  height: number;
  fit: Fit;
  format: OutputFormat;
  /** 1-100, for the lossy formats (webp, jpg); PNG is lossless and uses it as its compression effort. */
  quality: number;
}

/** Resizes (up or down) and re-encodes `input`, writing `<outDir>/<name>.<ext>`. Returns the file written. */
export async function editImage(input: string, outDir: string, name: string, options: EditOptions): Promise<string> {
  const { width, height, fit, format, quality } = options;
  let image = sharp(input).rotate(); // honour EXIF orientation before resizing
  if (width > 0 || height > 0) {
    image = image.resize({
      width: width || undefined,
      height: height || undefined,
      fit,
      // Upscaling is a feature here, not an accident: never refuse to enlarge.
      withoutEnlargement: false,
      kernel: sharp.kernel.lanczos3,
    });
  }
  const target = join(outDir, `${name}.${format}`);
  switch (format) {
    case "webp":
      image = image.webp({ quality });
      break;
    case "jpg":
      image = image.flatten({ background: "#ffffff" }).jpeg({ quality, mozjpeg: true });
      break;
    case "png":
      image = image.png({ compressionLevel: Math.min(9, Math.round(quality / 11)) });
      break;
  }
  await image.toFile(target);
  return target;
}
