import { describe, expect, it } from "vitest";
import { cudaBaseImage, cudnnVersionsFor, DEFAULT_CUDA, DEFAULT_CUDNN, resolveCuda, SUPPORTED_CUDA } from "./cuda.js";
import { UserError } from "../errors.js";

describe("CUDA table", () => {
  it("lists supported CUDA versions newest first, each with a cuDNN", () => {
    expect(SUPPORTED_CUDA[0]).toBe("12.9");
    expect(SUPPORTED_CUDA).toContain("11.8");
    for (const cuda of SUPPORTED_CUDA) expect(cudnnVersionsFor(cuda).length).toBeGreaterThan(0);
  });

  it("names the runtime cuDNN image for a pair, patch versions included", () => {
    expect(cudaBaseImage("11.8", "8")).toBe("nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04");
    expect(cudaBaseImage("12.4.1", "9.1")).toBe("nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04");
  });

  it("rejects an impossible pair and lists the valid cuDNN versions", () => {
    try {
      cudaBaseImage("12.1", "9");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).problems.join("\n")).toContain("cuDNN versions available for CUDA 12.1: 8");
    }
    expect(() => cudaBaseImage("10.2", "7")).toThrow(/no nvidia\/cuda runtime image/);
  });

  it("resolves from cog.yaml, then GPU packages, then the default", () => {
    expect(resolveCuda({ cuda: "12.1" })).toMatchObject({ cuda: "12.1", cudnn: "8", reason: "cog.yaml" });
    expect(resolveCuda({}, { "onnxruntime-node": "^1.20.1" })).toMatchObject({ cuda: "12.4", cudnn: "9" });
    expect(resolveCuda({}, { "onnxruntime-node": "~1.17.0" })).toMatchObject({ cuda: "11.8", cudnn: "8" });
    expect(resolveCuda({}, { "@tensorflow/tfjs-node-gpu": "^4.22.0" })).toMatchObject({ cuda: "11.2", cudnn: "8" });
    expect(resolveCuda({}, { "node-llama-cpp": "^3.3.0" })).toMatchObject({ cuda: "12.4", cudnn: "9" });
    expect(resolveCuda({}, {})).toEqual({ cuda: DEFAULT_CUDA, cudnn: DEFAULT_CUDNN, reason: "default" });
    expect(() => resolveCuda({}, { "@tensorflow/tfjs-node-gpu": "^2.8.0" })).toThrow(UserError);
  });
});
