import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { BasePredictor, Input, Path } from "cogts";

export class Predictor extends BasePredictor {
  async predict(
    document: Path = Input({ description: "A text file (URL or data URI)" }),
    extra: Path | null = Input({ description: "Legacy File input", default: null }),
    suffix: string = Input({ description: "Output file suffix", default: ".txt" }),
  ): Promise<Path> {
    let text = await readFile(document.path, "utf8");
    console.log(`read ${text.length} chars from ${basename(document.path)}`);
    if (extra !== null) text += await readFile(extra.path, "utf8");
    const out = join(await mkdtemp(join(tmpdir(), "conformance-files-")), `reversed${suffix}`);
    await writeFile(out, [...text].reverse().join(""));
    return new Path(out);
  }
}
