/**
 * The OCR engine both predictors share: tesseract.js workers fed with the traineddata files that npm installed, so
 * nothing is fetched at run time (tesseract.js would otherwise download languages from a CDN).
 */
import { mkdtemp, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Tesseract from "tesseract.js";

/** Languages shipped as npm packages (`@tesseract.js-data/<code>`); `+` combines them as Tesseract does. */
export const LANGUAGES = ["eng", "fra", "eng+fra"] as const;
export type Language = (typeof LANGUAGES)[number];

/** Page segmentation modes offered as inputs, named as Tesseract's documentation names them. */
export const PAGE_SEGMENTATION = {
  auto: Tesseract.PSM.AUTO,
  single_column: Tesseract.PSM.SINGLE_COLUMN,
  single_block: Tesseract.PSM.SINGLE_BLOCK,
  single_line: Tesseract.PSM.SINGLE_LINE,
  single_word: Tesseract.PSM.SINGLE_WORD,
  sparse_text: Tesseract.PSM.SPARSE_TEXT,
} as const;
export type PageSegmentation = keyof typeof PAGE_SEGMENTATION;

const require = createRequire(import.meta.url);

/**
 * tesseract.js reads every language from one `langPath` folder, while npm puts each language in its own package: a
 * temporary folder of links gathers them. The LSTM-only "best_int" models are a third of the size of the full ones
 * and what tesseract.js itself picks by default.
 */
async function gatherTrainedData(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tessdata-"));
  for (const code of new Set(LANGUAGES.flatMap((language) => language.split("+")))) {
    const packageDir = dirname(require.resolve(`@tesseract.js-data/${code}/package.json`));
    await symlink(join(packageDir, "4.0.0_best_int", `${code}.traineddata.gz`), join(dir, `${code}.traineddata.gz`));
  }
  return dir;
}

/** One worker per language combination, created on first use and kept for the following predictions. */
export class OcrEngine {
  readonly #workers = new Map<Language, Promise<Tesseract.Worker>>();
  #langPath: Promise<string> | undefined;

  worker(language: Language): Promise<Tesseract.Worker> {
    let worker = this.#workers.get(language);
    if (!worker) {
      worker = (async () => {
        const langPath = await (this.#langPath ??= gatherTrainedData());
        // cacheMethod "none": do not write a copy of the traineddata into the working directory.
        return Tesseract.createWorker(language, Tesseract.OEM.LSTM_ONLY, { langPath, cacheMethod: "none", gzip: true });
      })();
      this.#workers.set(language, worker);
    }
    return worker;
  }

  async recognize(image: string, language: Language, mode: PageSegmentation): Promise<Tesseract.Page> {
    const worker = await this.worker(language);
    await worker.setParameters({ tessedit_pageseg_mode: PAGE_SEGMENTATION[mode] });
    const { data } = await worker.recognize(image, {}, { text: true, blocks: true });
    return data;
  }

  async close(): Promise<void> {
    const workers = [...this.#workers.values()];
    this.#workers.clear();
    await Promise.all(workers.map(async (worker) => (await worker).terminate()));
  }
}
