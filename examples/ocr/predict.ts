import { BasePredictor, Input, Path } from "cogts";
import { OcrEngine, type PageSegmentation } from "./ocr.js";

/** Reads the text in an image with Tesseract (tesseract.js, LSTM models shipped with the image). */
export class Predictor extends BasePredictor {
  private engine = new OcrEngine();

  override async setup(): Promise<void> {
    // Load English up front so the first prediction does not pay for it; other languages load on first use.
    await this.engine.worker("eng");
  }

  /** Return the text found in the image */
  async predict(
    image: Path = Input({ description: "Image with text (PNG, JPEG, WebP, BMP, …)", accept: "image/*" }),
    language: "eng" | "fra" | "eng+fra" = Input({ description: "Language(s) of the text", default: "eng" }),
    page_segmentation: string = Input({
      description: "How Tesseract splits the page into blocks, lines and words",
      default: "auto",
      choices: ["auto", "single_column", "single_block", "single_line", "single_word", "sparse_text"],
    }),
  ): Promise<string> {
    const page = await this.engine.recognize(image.path, language, page_segmentation as PageSegmentation);
    console.log(`confidence ${page.confidence.toFixed(1)}`);
    return page.text.trim();
  }
}
