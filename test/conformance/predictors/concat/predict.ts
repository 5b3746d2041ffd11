import { BasePredictor, Input, type ConcatenateIterator } from "cogts";

export class Predictor extends BasePredictor {
  async *predict(
    text: string = Input({ description: "Text to stream word by word", default: "hello streaming world" }),
    delay: number = Input({ description: "Seconds between words", default: 0.0, ge: 0, le: 5 }),
  ): ConcatenateIterator<string> {
    const words = text.split(" ");
    for (const [i, word] of words.entries()) {
      yield i === 0 ? word : ` ${word}`;
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay * 1000));
    }
  }
}
