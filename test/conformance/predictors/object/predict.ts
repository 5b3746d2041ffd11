import { writeFile } from "node:fs/promises";
import { BasePredictor, Input, Path } from "cogts";

interface Output {
  text: string;
  length: number;
  score: number;
  ok: boolean;
  tags: string[];
  note?: string | null;
  file?: Path | null;
}

export class Predictor extends BasePredictor {
  async predict(
    text: string = Input({ description: "Input text", default: "hello world" }),
    with_file: boolean = Input({ description: "Also return a file", default: false }),
  ): Promise<Output> {
    let file: Path | null = null;
    if (with_file) {
      await writeFile("/tmp/object_out.txt", text);
      file = new Path("/tmp/object_out.txt");
    }
    return { text, length: text.length, score: 0.5, ok: true, tags: text.split(" "), file };
  }
}
