import { BasePredictor, Input } from "cogts";
import { pyFloat } from "../pyfloat.js";

export class Predictor extends BasePredictor {
  override async setup(): Promise<void> {
    const delay = Number(process.env.SETUP_DELAY ?? "0");
    console.log(`echo setup starting (delay=${pyFloat(delay)})`);
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay * 1000));
    console.log("echo setup done");
  }

  async predict(text: string = Input({ description: "Text to echo back", default: "hello" })): Promise<string> {
    return text;
  }
}
