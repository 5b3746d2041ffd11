/** Cog's global flags, accepted anywhere before `--`. */
import { describe, expect, it } from "vitest";
import { takeGlobalFlags } from "./main.js";

describe("takeGlobalFlags", () => {
  it("takes --debug and --no-color out wherever they are, leaving what follows -- alone", () => {
    expect(takeGlobalFlags(["--debug", "run", "-i", "a=1", "--no-color"])).toEqual({
      args: ["run", "-i", "a=1"],
      debug: true,
      noColor: true,
    });
    expect(takeGlobalFlags(["exec", "--", "tool", "--debug"])).toEqual({
      args: ["exec", "--", "tool", "--debug"],
      debug: false,
      noColor: false,
    });
  });
});
