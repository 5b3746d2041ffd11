import { describe, expect, it } from "vitest";
import { titleCase } from "./title.js";

describe("titleCase", () => {
  it("matches Cog for snake_case names", () => {
    expect(titleCase("api_key")).toBe("Api Key");
    expect(titleCase("no_default")).toBe("No Default");
    expect(titleCase("prediction_id")).toBe("Prediction Id");
    expect(titleCase("text")).toBe("Text");
  });

  it("splits camelCase words and keeps acronyms together", () => {
    expect(titleCase("apiKey")).toBe("Api Key");
    expect(titleCase("numInferenceSteps")).toBe("Num Inference Steps");
    expect(titleCase("imageURL")).toBe("Image URL");
    expect(titleCase("HTTPProxy")).toBe("HTTP Proxy");
  });
});
