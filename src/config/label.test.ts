import path from "node:path";
import { describe, expect, it } from "vitest";
import { configForLabel } from "./label.js";
import { loadConfig } from "./index.js";

const CASES = path.resolve(import.meta.dirname, "../../fixtures/dockerfile");

describe("run.cog.config of a Python model", () => {
  it("carries Cog's Python keys and no node_version", async () => {
    const label = configForLabel(await loadConfig(path.join(CASES, "python-docs-example")));
    expect(label).toEqual({
      build: {
        gpu: true,
        python_version: "3.11",
        python_packages: ["torch==2.1.0", "transformers==4.35.0"],
        cuda: "12.1",
        cudnn: "8",
      },
      predict: "predict.py:Predictor",
    });
  });

  it("names the requirements file", async () => {
    const label = configForLabel(await loadConfig(path.join(CASES, "python-requirements")));
    expect(label.build).toEqual({ python_version: "3.11", python_requirements: "requirements.txt" });
  });
});
