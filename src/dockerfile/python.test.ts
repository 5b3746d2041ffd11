/**
 * Python models: the requirements each golden case of fixtures/dockerfile/python-* installs (beside its
 * Dockerfile, which test/dockerfile/golden.test.ts checks), and the CUDA/index rules behind them.
 * Rewrite the goldens with:  UPDATE_GOLDENS=1 npx vitest run src/dockerfile/python.test.ts
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/index.js";
import { parseRequirement, resolvePythonCuda, resolveRequirements } from "../config/python-requirements.js";
import { UserError } from "../errors.js";
import { expectGolden } from "../../test/helpers/golden.js";
import { pythonIndexSetting, pythonRequirementsFor } from "./python-files.js";
import { generateDockerfile } from "./generate.js";
import type { ProjectFacts } from "./project.js";

const CASES = path.resolve(import.meta.dirname, "../../fixtures/dockerfile");
const FACTS: ProjectFacts = {
  configFile: "cog.yaml",
  hasPackageJson: false,
  dependencies: {},
  hasTsconfig: false,
  hasTypeScript: false,
  weights: [],
};

describe("Python requirements of the golden cases", () => {
  const cases = readdirSync(CASES).filter((name) => name.startsWith("python-"));
  it("has the cases issue 18 asks for", () => {
    for (const name of [
      "python-cpu",
      "python-docs-example",
      "python-gpu-explicit-cuda",
      "python-gpu-tensorflow",
      "python-requirements",
      "python-system-packages-secrets",
    ]) {
      expect(cases).toContain(name);
    }
  });
  for (const name of cases) {
    it(`resolves ${name}`, async () => {
      const dir = path.join(CASES, name);
      const config = await loadConfig(dir);
      const resolved = pythonRequirementsFor(config, dir, undefined);
      expectGolden(
        resolved
          ? `${resolved.text}${resolved.notes.map((note) => `# note: ${note}\n`).join("")}`
          : "# nothing to install\n",
        path.join(dir, "requirements.resolved.txt"),
      );
    });
  }

  it("gives Cog's documentation example CUDA 12.1 and the cu121 PyTorch index", async () => {
    const dir = path.join(CASES, "python-docs-example");
    const config = await loadConfig(dir);
    expect(config.build).toMatchObject({ cuda: "12.1", cudnn: "8" });
    expect(generateDockerfile(config, undefined, FACTS)).toContain(
      "FROM nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04",
    );
    expect(pythonRequirementsFor(config, dir, undefined)?.text.split("\n")[0]).toBe(
      "--extra-index-url https://download.pytorch.org/whl/cu121",
    );
  });

  it("leaves the Dockerfile alone when a package index is set, and puts the index into the requirements", async () => {
    const dir = path.join(CASES, "python-system-packages-secrets");
    const config = await loadConfig(dir);
    const text = pythonRequirementsFor(config, dir, "http://127.0.0.1:5200/simple/")?.text;
    expect(text).toBe("--index-url http://127.0.0.1:5200/simple/\n--trusted-host 127.0.0.1\nrequests==2.32.3\n");
    expect(pythonRequirementsFor(config, dir, "https://mirror.example/simple")?.text).not.toContain("--trusted-host");
  });
});

describe("Python CUDA and PyTorch index rules", () => {
  it("reads names and pins as pip writes them", () => {
    expect(parseRequirement("Torch_Vision[extra] == 0.16.0 ; python_version > '3'")).toMatchObject({
      name: "torch-vision",
      pinned: "0.16.0",
    });
    expect(parseRequirement("numpy>=1.26")).toEqual({ line: "numpy>=1.26", name: "numpy" });
    expect(parseRequirement("--extra-index-url https://x")).toEqual({ line: "--extra-index-url https://x" });
    expect(parseRequirement("# comment")).toEqual({ line: "# comment" });
  });

  it("takes tensorflow before torch, torch's newest CUDA, a +cuXYZ pin, else 11.8", () => {
    expect(resolvePythonCuda({}, ["torch==2.1.0", "tensorflow==2.15.0"])).toMatchObject({
      cuda: "12.2",
      cudnn: "8",
      reason: "tensorflow==2.15.0",
    });
    expect(resolvePythonCuda({}, ["torch==2.3.1"])).toMatchObject({ cuda: "12.1", cudnn: "8" });
    expect(resolvePythonCuda({}, ["torch==2.5.1"])).toMatchObject({ cuda: "12.4", cudnn: "9" });
    expect(resolvePythonCuda({}, ["torch==2.1.0+cu118"])).toMatchObject({ cuda: "11.8", cudnn: "8" });
    expect(resolvePythonCuda({}, ["torchaudio==2.0.2"])).toMatchObject({ cuda: "11.8" });
    expect(resolvePythonCuda({}, ["numpy"])).toEqual({ cuda: "11.8", cudnn: "8", reason: "default" });
    expect(resolvePythonCuda({ cuda: "12.4" }, ["torch==2.1.0"])).toEqual({
      cuda: "12.4",
      cudnn: "9",
      reason: "cog.yaml",
    });
  });

  it("refuses a pin the tables do not know, and a CUDA/cuDNN pair without an image", () => {
    expect(() => resolvePythonCuda({}, ["torch==1.4.0"])).toThrow(UserError);
    expect(() => resolvePythonCuda({}, ["tensorflow==1.15.0"])).toThrow(/TensorFlow\/CUDA table/);
    expect(() => resolvePythonCuda({}, ["tensorflow==2.16.1"])).toThrow(/cuDNN/);
  });

  it("picks the newest PyTorch CUDA build not above the image's, the CPU index without GPU, and leaves a given index alone", () => {
    const gpu = (cuda: string) => ({ build: { gpu: true, cuda } });
    expect(resolveRequirements(gpu("12.4"), ["torch==2.1.0"]).text).toBe(
      "--extra-index-url https://download.pytorch.org/whl/cu121\ntorch==2.1.0\n",
    );
    expect(resolveRequirements(gpu("11.2"), ["torch==2.1.0"]).text).toBe("torch==2.1.0\n");
    expect(resolveRequirements({ build: { gpu: false } }, ["torch==2.1.0"]).text).toBe(
      "--extra-index-url https://download.pytorch.org/whl/cpu\ntorch==2.1.0\n",
    );
    const own = ["--extra-index-url https://download.pytorch.org/whl/cu118", "torch==2.1.0"];
    expect(resolveRequirements(gpu("12.1"), own).text).toBe(`${own.join("\n")}\n`);
  });

  it("reads the index setting: cogts's own first, then pip's, then uv's", () => {
    expect(pythonIndexSetting({ PIP_INDEX_URL: "http://p", UV_INDEX_URL: "http://u" })).toBe("http://p");
    expect(pythonIndexSetting({ COGTS_PYTHON_INDEX_URL: "http://c", PIP_INDEX_URL: "http://p" })).toBe("http://c");
    expect(pythonIndexSetting({ UV_INDEX_URL: "http://u" })).toBe("http://u");
    expect(pythonIndexSetting({})).toBeUndefined();
  });
});
