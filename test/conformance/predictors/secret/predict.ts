import { BasePredictor, Input, Secret } from "cogts";

export class Predictor extends BasePredictor {
  async predict(
    token: Secret = Input({ description: "API token" }),
    other: Secret | null = Input({ default: null }),
  ): Promise<string> {
    console.log(`token repr inside predict: Secret('${String(token)}')`);
    const value = token.value();
    return `token has ${value.length} chars, starts with ${value.slice(0, 2)}; other=${other === null ? "unset" : "set"}`;
  }
}
