import { BasePredictor, Input, type Int } from "cogts";

export class Predictor extends BasePredictor {
  async predict(
    a: Int,
    b: number,
    flag: boolean,
    scale: number = Input({ description: "Scale factor", default: 1.5, ge: -10, le: 10 }),
    offset: number | null = Input({ description: "Optional offset", default: null }),
    count: Int = Input({ description: "Count", default: 3, ge: 0 }),
  ): Promise<number> {
    let total = (a + b) * scale * count;
    if (offset !== null) total += offset;
    return flag ? -total : total;
  }
}
