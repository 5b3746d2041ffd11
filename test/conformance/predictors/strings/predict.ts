import { BasePredictor, Input, type Int } from "cogts";
import { pyFloat } from "../pyfloat.js";

export class Predictor extends BasePredictor {
  async predict(
    prompt: string = Input({ description: "Prompt", minLength: 1, maxLength: 50 }),
    style: string = Input({ default: "plain", choices: ["plain", "upper", "title"] }),
    code: string = Input({ default: "abc", regex: "^[a-z]{2,8}$" }),
    repeat: Int = Input({ default: 1, ge: 1, le: 5 }),
    temperature: number = Input({ default: 0.7, ge: 0, le: 2 }),
    shout: boolean = Input({ default: false }),
    level: Int = Input({ default: 2, choices: [1, 2, 3] }),
    mode: "fast" | "slow" = Input({ default: "fast" }),
    seed: Int | null = Input({ default: null }),
    legacy: string = Input({ default: "x", deprecated: true }),
    suffix: string = "",
  ): Promise<string> {
    console.log(`style=${style} code=${code} repeat=${repeat} level=${level} mode=${mode} seed=${seed ?? "None"}`);
    void legacy;
    let text = Array.from({ length: repeat }, () => prompt).join(" ");
    if (style === "upper") text = text.toUpperCase();
    if (style === "title") text = text.replace(/\b\w/g, (c) => c.toUpperCase());
    if (shout) text += "!";
    return `${text}${suffix} (t=${pyFloat(temperature)})`;
  }
}
