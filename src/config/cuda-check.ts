/** The `build.cuda` / `build.cudnn` checks of cog.yaml against the CUDA table beside them, and how a version was written. */
import { SUPPORTED_CUDA, cudnnVersionsFor } from "./cuda.js";
import type { Problem } from "./yaml-source.js";

type SourceText = (path: (string | number)[]) => string | undefined;

/** A version as the user wrote it: `cuda: 12.10` is the number 12.1 to YAML but "12.10" to the user. */
export function versionText(value: unknown, source?: string): string | undefined {
  return typeof value === "string" ? value.trim() : typeof value === "number" ? (source ?? String(value)) : undefined;
}

export function checkCuda(build: Record<string, unknown>, sourceTextOf: SourceText): Problem[] {
  const cuda = versionText(build.cuda, sourceTextOf(["build", "cuda"]));
  const cudnn = versionText(build.cudnn, sourceTextOf(["build", "cudnn"]));
  const problems: Problem[] = [];
  let cudaOk = false;
  if (cuda !== undefined) {
    const match = /^(\d+)\.(\d+)(\.\d+)?$/.exec(cuda);
    if (!match) {
      problems.push({
        path: ["build", "cuda"],
        message: `build.cuda must be major.minor[.patch] (for example \`cuda: "12.4"\`, quoted), not ${JSON.stringify(cuda)}.`,
      });
    } else if (Number(match[1]) < 11) {
      problems.push({
        path: ["build", "cuda"],
        message: `build.cuda ${cuda} is too old: the minimum supported CUDA version is 11. Supported: ${SUPPORTED_CUDA.join(", ")}.`,
      });
    } else if (cudnnVersionsFor(cuda).length === 0) {
      problems.push({
        path: ["build", "cuda"],
        message: `build.cuda ${cuda} has no nvidia/cuda runtime image with cuDNN. Choose one of ${SUPPORTED_CUDA.join(", ")}.`,
      });
    } else {
      cudaOk = true;
    }
  }
  if (cudnn !== undefined && !/^\d+(\.\d+)*$/.test(cudnn)) {
    problems.push({
      path: ["build", "cudnn"],
      message: `build.cudnn must be a version number such as "9", not ${JSON.stringify(cudnn)}.`,
    });
  } else if (cudnn !== undefined && cuda !== undefined && cudaOk) {
    const available = cudnnVersionsFor(cuda);
    if (!available.includes(cudnn.split(".")[0]!)) {
      problems.push({
        path: ["build", "cudnn"],
        message: `build.cudnn ${cudnn} is not available with CUDA ${cuda}: compatible cuDNN versions are ${available.join(", ")}. Change cudnn, or remove it to get the newest.`,
      });
    }
  }
  return problems;
}
