import { BasePredictor, Input, type Int } from "cogts";

export class Predictor extends BasePredictor {
  async predict(words: string[], weights: Int[] = Input({ default: [1, 2, 3] })): Promise<Int[]> {
    return words.map((word, i) => word.length * (weights[i] ?? 1));
  }
}
