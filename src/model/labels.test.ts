/** The model base's name, beside Cog's labels. */
import { describe, expect, it } from "vitest";
import { modelBaseName } from "./labels.js";

describe("modelBaseName", () => {
  it("appends -base to the repository, dropping a tag but not a registry port", () => {
    expect(modelBaseName("cog-hello")).toBe("cog-hello-base");
    expect(modelBaseName("r8.im/me/model:v2")).toBe("r8.im/me/model-base");
    expect(modelBaseName("127.0.0.1:5000/me/model")).toBe("127.0.0.1:5000/me/model-base");
  });
});
