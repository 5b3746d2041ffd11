import { BasePredictor, Input } from "cogts";

export class Predictor extends BasePredictor {
  override async setup(): Promise<void> {
    console.log("   setup line with leading spaces and trailing spaces   ");
    console.error("setup to stderr");
  }

  async predict(
    kind: string = Input({ default: "zero", choices: ["zero", "empty", "false", "none", "emptylist", "text"] }),
  ): Promise<string | null> {
    console.log("    indented line");
    console.log("tab\tinside\tline  ");
    process.stdout.write("partial-");
    await new Promise((resolve) => setTimeout(resolve, 50));
    console.log("completed line");
    process.stdout.write("no newline at the end");
    console.log("line with\r carriage return");
    console.log("");
    console.log("multi\nline\nprint");
    console.warn("a warning via the logging module");
    console.log("unicode: héllo ✓ 日本");
    const outputs: Record<string, string | null> = {
      zero: "",
      empty: "",
      false: "",
      none: null,
      emptylist: "",
      text: "ok",
    };
    return outputs[kind] ?? null;
  }
}
