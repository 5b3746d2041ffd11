import { BasePredictor } from "cogts";

export class Predictor extends BasePredictor {
  override async setup(): Promise<void> {
    console.log("about to fail in setup");
    throw new Error("setup exploded on purpose");
  }

  async predict(text: string = "x"): Promise<string> {
    return text;
  }
}
