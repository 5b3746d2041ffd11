import { BasePredictor } from "cogts";

throw new Error("this predictor fails at import");

export class Predictor extends BasePredictor {
  async predict(text: string = "x"): Promise<string> {
    return text;
  }
}
