/** `-i name=value` for union inputs, as Cog's CLI reads them (a twin of Cog's union_input_cli scenario). */
import { describe, expect, it } from "vitest";
import { buildInputs } from "./io.js";

const openapi = {
  components: {
    schemas: {
      Input: {
        type: "object",
        properties: {
          value: { anyOf: [{ type: "string" }, { type: "number" }] },
          flipped: { anyOf: [{ type: "number" }, { type: "string" }] },
          whole: { anyOf: [{ type: "string" }, { type: "integer" }] },
          flag: { anyOf: [{ type: "boolean" }, { type: "string" }] },
        },
      },
    },
  },
};
const read = (...pairs: string[]) => buildInputs(pairs, openapi, { cwd: "/" });

describe("union inputs on the command line", () => {
  it("reads text as a string and numbers as numbers, whichever member comes first", () => {
    expect(read("value=hello", "flipped=world")).toEqual({ value: "hello", flipped: "world" });
    expect(read("value=1.5", "flipped=2.5")).toEqual({ value: 1.5, flipped: 2.5 });
    expect(read("value=1", "flipped=2")).toEqual({ value: 1, flipped: 2 });
  });

  it("keeps a fraction as text when only an integer member takes numbers, and reads true/false for a boolean member", () => {
    expect(read("whole=1.5", "flag=true")).toEqual({ whole: "1.5", flag: true });
    expect(read("whole=3", "flag=yes")).toEqual({ whole: 3, flag: "yes" });
  });
});
