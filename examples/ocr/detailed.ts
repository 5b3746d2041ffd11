import { BasePredictor, Input, Path, type Int } from "cogts";
import { OcrEngine, type PageSegmentation } from "./ocr.js";

/** A box in image pixels: left, top, right, bottom. */
export interface Box {
  x0: Int;
  y0: Int;
  x1: Int;
  y1: Int;
}

export interface Word {
  text: string;
  /** 0 to 100 */
  confidence: number;
  box: Box;
}

export interface OcrResult {
  text: string;
  /** Mean word confidence, 0 to 100 */
  confidence: number;
  words: Word[];
}

/** Like `predict.ts`, but returns every word with its confidence and bounding box. */
export class DetailedPredictor extends BasePredictor {
  private engine = new OcrEngine();

  override async setup(): Promise<void> {
    await this.engine.worker("eng");
  }

  /** Return the text, its confidence, and each word with its box */
  async predict(
    image: Path = Input({ description: "Image with text (PNG, JPEG, WebP, BMP, …)", accept: "image/*" }),
    language: "eng" | "fra" | "eng+fra" = Input({ description: "Language(s) of the text", default: "eng" }),
    page_segmentation: string = Input({
      description: "How Tesseract splits the page into blocks, lines and words",
      default: "auto",
      choices: ["auto", "single_column", "single_block", "single_line", "single_word", "sparse_text"],
    }),
  ): Promise<OcrResult> {
    const page = await this.engine.recognize(image.path, language, page_segmentation as PageSegmentation);
    const words: Word[] = [];
    for (const block of page.blocks ?? []) {
      for (const paragraph of block.paragraphs) {
        for (const line of paragraph.lines) {
          for (const word of line.words) {
            const { x0, y0, x1, y1 } = word.bbox;
            words.push({ text: word.text, confidence: round(word.confidence), box: { x0, y0, x1, y1 } });
          }
        }
      }
    }
    return { text: page.text.trim(), confidence: round(page.confidence), words };
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
