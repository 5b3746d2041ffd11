/**
 * Which nvidia/cuda image a GPU model gets, and which CUDA/cuDNN its GPU npm packages need.
 * The facts live in cuda-table.json (with their sources); this file only answers questions about them.
 */
import table from "./cuda-table.json" with { type: "json" };
import { UserError } from "../errors.js";

interface CudaImage {
  cuda: string;
  cudnn: string;
  tag: string;
}

interface GpuPackageRule {
  package: string;
  /** Lowest package version this row applies to; rows of one package are listed newest first. */
  from: string;
  cuda: string;
  cudnn: string;
}

const IMAGES: readonly CudaImage[] = table.images;
const PACKAGE_RULES: readonly GpuPackageRule[] = table.packages;

/** CUDA major.minor versions that have a runtime+cuDNN image, newest first. */
export const SUPPORTED_CUDA: string[] = [...new Set(IMAGES.map((image) => image.cuda))];

/** The CUDA/cuDNN a GPU model gets when neither cog.yaml nor its npm packages say (see cuda-table.json `default.why`). */
export const DEFAULT_CUDA: string = table.default.cuda;
export const DEFAULT_CUDNN: string = table.default.cudnn;

/** npm packages whose version decides the CUDA/cuDNN of the image. */
const GPU_PACKAGES: string[] = [...new Set(PACKAGE_RULES.map((rule) => rule.package))];

/** `12.4.1` and `12.4` both mean CUDA 12.4: images are chosen by major.minor. */
function majorMinor(cuda: string): string {
  const [major, minor = "0"] = cuda.trim().split(".");
  return `${major}.${minor}`;
}

/** `8.9.2` and `8` both mean cuDNN 8: the images carry one cuDNN major each. */
function cudnnMajor(cudnn: string): string {
  return cudnn.trim().split(".")[0] ?? cudnn;
}

/** cuDNN majors that have a runtime image for this CUDA; empty when the CUDA is unknown. */
export function cudnnVersionsFor(cuda: string): string[] {
  const wanted = majorMinor(cuda);
  return [...new Set(IMAGES.filter((image) => image.cuda === wanted).map((image) => image.cudnn))];
}

/** `nvidia/cuda:<tag>` for a CUDA/cuDNN pair; a UserError listing the valid choices when there is no such image. */
export function cudaBaseImage(cuda: string, cudnn: string): string {
  const image = IMAGES.find(
    (candidate) => candidate.cuda === majorMinor(cuda) && candidate.cudnn === cudnnMajor(cudnn),
  );
  if (image) return `nvidia/cuda:${image.tag}`;
  const cudnns = cudnnVersionsFor(cuda);
  if (cudnns.length === 0) {
    throw new UserError(`CUDA ${cuda} has no nvidia/cuda runtime image with cuDNN`, [
      `Supported CUDA versions: ${SUPPORTED_CUDA.join(", ")}.`,
    ]);
  }
  throw new UserError(`CUDA ${cuda} has no image with cuDNN ${cudnn}`, [
    `cuDNN versions available for CUDA ${majorMinor(cuda)}: ${cudnns.join(", ")}.`,
  ]);
}

/** Numeric parts of the lowest version a package.json range allows (`^1.20.1` → [1, 20, 1]); undefined for tags, URLs, `*`. */
function lowestVersionOf(range: string): number[] | undefined {
  const match = /(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/.exec(range.split("||")[0] ?? "");
  if (!match || /^(?:[a-z]+:|git|http)/i.test(range.trim())) return undefined;
  return [match[1], match[2], match[3]].map((part) => (part === undefined || !/^\d+$/.test(part) ? 0 : Number(part)));
}

function atLeast(version: number[], from: string): boolean {
  const floor = from.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const a = version[i] ?? 0;
    const b = floor[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

interface CudaChoice {
  cuda: string;
  cudnn: string;
  /** Why this pair: "cog.yaml", the package that decided (`onnxruntime-node@^1.20.0`), or "default". */
  reason: string;
}

/**
 * The CUDA/cuDNN pair for the image: from cog.yaml when given, else from the first GPU npm package found in the
 * dependencies, else the default. Throws a UserError listing valid choices when the pair has no image.
 *
 * @example resolveCuda({}, { "onnxruntime-node": "^1.20.0" }) // { cuda: "12.4", cudnn: "9", reason: "onnxruntime-node@^1.20.0" }
 */
export function resolveCuda(
  build: { cuda?: string; cudnn?: string },
  dependencies: Record<string, string> = {},
): CudaChoice {
  if (build.cuda) {
    const cuda = majorMinor(build.cuda);
    const available = cudnnVersionsFor(cuda);
    if (available.length === 0) cudaBaseImage(cuda, build.cudnn ?? "");
    const cudnn = build.cudnn ? cudnnMajor(build.cudnn) : [...available].sort().at(-1)!;
    cudaBaseImage(cuda, cudnn);
    return { cuda, cudnn, reason: "cog.yaml" };
  }
  const fromPackage = inferFromPackages(dependencies);
  if (fromPackage) {
    const cudnn = build.cudnn ? cudnnMajor(build.cudnn) : fromPackage.cudnn;
    cudaBaseImage(fromPackage.cuda, cudnn);
    return { ...fromPackage, cudnn };
  }
  const cudnn = build.cudnn ? cudnnMajor(build.cudnn) : DEFAULT_CUDNN;
  if (build.cudnn && !cudnnVersionsFor(DEFAULT_CUDA).includes(cudnn)) {
    const cuda = SUPPORTED_CUDA.find((candidate) => cudnnVersionsFor(candidate).includes(cudnn));
    if (cuda) return { cuda, cudnn, reason: `newest CUDA with cuDNN ${cudnn}` };
  }
  cudaBaseImage(DEFAULT_CUDA, cudnn);
  return { cuda: DEFAULT_CUDA, cudnn, reason: "default" };
}

/** The CUDA/cuDNN the first known GPU package in `dependencies` needs, or undefined. */
function inferFromPackages(dependencies: Record<string, string>): CudaChoice | undefined {
  for (const name of GPU_PACKAGES) {
    const range = dependencies[name];
    if (range === undefined) continue;
    const version = lowestVersionOf(range);
    const rules = PACKAGE_RULES.filter((rule) => rule.package === name);
    // A range we cannot read (a tag like `latest`, a git URL) gets the newest row: that is what npm installs.
    const rule = version ? rules.find((candidate) => atLeast(version, candidate.from)) : rules[0];
    if (!rule) {
      throw new UserError(`${name}@${range} needs a CUDA version no cogts image has`, [
        `Use ${name} ${rules.at(-1)!.from} or newer, or set build.cuda and build.cudnn in cog.yaml (CUDA ${SUPPORTED_CUDA.join(", ")}).`,
      ]);
    }
    return { cuda: rule.cuda, cudnn: rule.cudnn, reason: `${name}@${range}` };
  }
  return undefined;
}
