import { BasePredictor, Input, type Int } from "cogts";

export class Predictor extends BasePredictor {
  async *predict(
    count: Int = Input({ description: "How many items to yield", default: 3, ge: 1, le: 20 }),
    delay: number = Input({ description: "Seconds between items", default: 0.0, ge: 0, le: 5 }),
  ): AsyncIterable<string> {
    for (let i = 0; i < count; i++) {
      console.log(`yielding item ${i}`);
      yield `item-${i}`;
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay * 1000));
    }
  }
}
