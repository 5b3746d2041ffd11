import { describe, expect, it } from "vitest";
import type { Config } from "../config/types.js";
import { generateDockerfile, mirrorImage } from "./generate.js";
import type { ProjectFacts } from "./project.js";
import { UserError } from "../errors.js";

const facts: ProjectFacts = {
  configFile: "cog.yaml",
  hasPackageJson: true,
  dependencies: {},
  hasTsconfig: true,
  hasTypeScript: true,
  weights: [],
};

function config(build: Partial<Config["build"]> = {}, rest: Partial<Config> = {}): Config {
  return {
    build: { gpu: false, node_version: "22", system_packages: [], run: [], ...build },
    environment: [],
    predict: "predict.ts:Predictor",
    ...rest,
  };
}

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return `${(err as UserError).message}\n${(err as UserError).problems.join("\n")}`;
  }
  throw new Error("expected a UserError");
}

describe("generateDockerfile", () => {
  it("refuses an impossible CUDA/cuDNN pair and lists the valid cuDNN versions", () => {
    const text = problemsOf(() =>
      generateDockerfile(config({ gpu: true, cuda: "12.1", cudnn: "9" }), undefined, facts),
    );
    expect(text).toContain("CUDA 12.1 has no image with cuDNN 9");
    expect(text).toContain("cuDNN versions available for CUDA 12.1: 8");
  });

  it("refuses a CUDA version without an image and lists the supported ones", () => {
    expect(problemsOf(() => generateDockerfile(config({ gpu: true, cuda: "10.2" }), undefined, facts))).toMatch(
      /Supported CUDA versions: 12\.9, .*11\.8/,
    );
  });

  it("refuses a build.run command with a newline", () => {
    expect(
      problemsOf(() => generateDockerfile(config({ run: [{ command: "echo a\necho b" }] }), undefined, facts)),
    ).toContain("build.run[0]: a command cannot contain a newline");
  });

  it("refuses secret mounts on the classic builder, which has none", () => {
    const withSecret = config({ run: [{ command: "true", mounts: [{ type: "secret", id: "t", target: "/t" }] }] });
    expect(problemsOf(() => generateDockerfile(withSecret, undefined, facts, { buildkit: false }))).toContain(
      "needs BuildKit",
    );
  });

  it("refuses a node_version that is not a version", () => {
    expect(problemsOf(() => generateDockerfile(config({ node_version: "lts" }), undefined, facts))).toContain(
      'build.node_version "lts"',
    );
  });

  it("has no `# syntax=` line and no --mount in the classic variant", () => {
    const buildkit = generateDockerfile(
      config({ system_packages: ["ffmpeg"] }),
      {},
      { ...facts, dependencies: { a: "1" }, lockfile: "package-lock.json" },
    );
    const classic = generateDockerfile(
      config({ system_packages: ["ffmpeg"] }),
      {},
      { ...facts, dependencies: { a: "1" }, lockfile: "package-lock.json" },
      { buildkit: false },
    );
    expect(buildkit).not.toMatch(/^#\s*syntax/m);
    expect(buildkit).toContain("--mount=type=cache,target=/root/.npm");
    expect(classic).not.toContain("--mount");
  });

  it("leaves out the schema copy when there is no schema", () => {
    expect(generateDockerfile(config(), undefined, facts)).not.toContain("openapi_schema.json");
  });

  it("rewrites Docker Hub names onto a mirror with Docker Hub's layout", () => {
    expect(mirrorImage("debian:bookworm-slim", "mirror.gcr.io")).toBe("mirror.gcr.io/library/debian:bookworm-slim");
    expect(mirrorImage("nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", "https://m.example/")).toBe(
      "m.example/nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04",
    );
    expect(mirrorImage("debian:bookworm-slim", undefined)).toBe("debian:bookworm-slim");
  });
});
