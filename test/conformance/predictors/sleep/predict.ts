import { BasePredictor, Input, type Int } from "cogts";
import { pyFloat } from "../pyfloat.js";

export class Predictor extends BasePredictor {
  override async setup(): Promise<void> {
    console.log("sleep predictor ready");
  }

  async predict(
    seconds: number = Input({ description: "Total seconds to sleep", default: 2.0, ge: 0, le: 60 }),
    steps: Int = Input({ description: "Number of log lines", default: 4, ge: 1, le: 100 }),
    fail: boolean = Input({ description: "Raise after sleeping", default: false }),
  ): Promise<string> {
    for (let i = 0; i < steps; i++) {
      console.log(`step ${i + 1}/${steps}`);
      console.error(`stderr line ${i + 1}`);
      await new Promise((resolve) => setTimeout(resolve, (seconds * 1000) / steps));
      this.signal.throwIfAborted();
    }
    if (fail) throw new Error("failed on purpose");
    return `slept ${pyFloat(seconds)}s`;
  }
}
