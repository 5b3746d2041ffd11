/**
 * A Python model's packages, as Cog 0.22 reads them: `build.python_packages` or the `build.python_requirements`
 * file; from their torch / torchvision / torchaudio / tensorflow pins the CUDA/cuDNN of a GPU image
 * (python-cuda-table.json, with its sources), and the requirements the image installs, with the PyTorch index of
 * that CUDA hoisted to the top as Cog does (so `torch==2.1.0` installs the cu121 build on a CUDA 12.1 image).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import table from "./python-cuda-table.json" with { type: "json" };
import { cudaBaseImage, cudnnVersionsFor } from "./cuda.js";
import { UserError } from "../errors.js";

interface TorchRow {
  torch: string;
  torchvision: string;
  torchaudio: string;
  cuda: string[];
}

const TORCH_ROWS: readonly TorchRow[] = table.torch;
const TF_ROWS: readonly { tensorflow: string; cuda: string; cudnn: string }[] = table.tensorflow;
const PYTHON_DEFAULT_CUDA: string = table.default.cuda;
const TORCH_INDEX: string = table.torchIndex;

/** One requirement line: its package name (normalised as PEP 503 does) and, for `==X`, the pinned version. */
export interface Requirement {
  line: string;
  name?: string;
  pinned?: string;
}

/** `Torch_Vision[extra]==0.16.0 ; python_version>"3"` → name torch-vision, pinned 0.16.0; option lines have no name. */
export function parseRequirement(line: string): Requirement {
  const text = line.replace(/(^|\s)#.*$/, "").trim();
  if (text === "" || text.startsWith("-")) return { line };
  const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$/.exec(text);
  if (!match) return { line };
  const name = match[1]!.toLowerCase().replace(/[._]+/g, "-");
  const pin = /^===?\s*([0-9][^\s,;]*)\s*(?:;.*)?$/.exec(match[2]!);
  return { line, name, ...(pin ? { pinned: pin[1] } : {}) };
}

/** The requirement lines of the config: python_packages, else the python_requirements file (read from `dir`). */
export function requirementLines(
  build: { python_packages?: string[]; python_requirements?: string },
  dir: string,
): string[] {
  if (build.python_packages) return [...build.python_packages];
  if (!build.python_requirements) return [];
  try {
    return readFileSync(join(dir, build.python_requirements), "utf8").split(/\r?\n/);
  } catch {
    // The semantic check has reported a missing file already.
    return [];
  }
}

function pinOf(lines: string[], name: string): string | undefined {
  return lines.map(parseRequirement).find((r) => r.name === name)?.pinned;
}

const minor = (version: string): string => version.split(".").slice(0, 2).join(".");
const cudaNumber = (cuda: string): number => {
  const [a = "0", b = "0"] = cuda.split(".");
  return Number(a) * 100 + Number(b);
};

/** The torch row a pinned torch, torchvision or torchaudio belongs to. */
function torchRow(lines: string[]): { row?: TorchRow; reason?: string; localCuda?: string } {
  for (const [name, key] of [
    ["torch", "torch"],
    ["torchvision", "torchvision"],
    ["torchaudio", "torchaudio"],
  ] as const) {
    const pinned = pinOf(lines, name);
    if (!pinned) continue;
    const [version, local] = pinned.split("+");
    const localCuda = /^cu(\d+)(\d)$/.exec(local ?? "");
    return {
      row: TORCH_ROWS.find((row) => row[key] === minor(version!)),
      reason: `${name}==${pinned}`,
      localCuda: localCuda ? `${localCuda[1]}.${localCuda[2]}` : undefined,
    };
  }
  return {};
}

interface PythonCudaChoice {
  cuda: string;
  cudnn: string;
  /** "cog.yaml", the pin that decided (`torch==2.1.0`), or "default". */
  reason: string;
}

const newestCudnn = (cuda: string): string => [...cudnnVersionsFor(cuda)].sort().at(-1) ?? "";

/**
 * CUDA/cuDNN for a GPU Python model, as Cog completes them: cog.yaml's, else tensorflow's, else the newest CUDA
 * PyTorch builds the pinned torch for, else 11.8; cuDNN the newest the image table has for that CUDA.
 * Throws UserError when the pair has no image or a pinned version is not in the tables.
 *
 * @example resolvePythonCuda({}, ["torch==2.1.0"]) // { cuda: "12.1", cudnn: "8", reason: "torch==2.1.0" }
 */
export function resolvePythonCuda(build: { cuda?: string; cudnn?: string }, lines: string[]): PythonCudaChoice {
  const finish = (cuda: string, cudnn: string | undefined, reason: string): PythonCudaChoice => {
    const wanted = minor(cuda);
    const chosen = build.cudnn?.split(".")[0] ?? cudnn ?? newestCudnn(wanted);
    cudaBaseImage(wanted, chosen);
    return { cuda: wanted, cudnn: chosen, reason };
  };
  if (build.cuda) return finish(build.cuda, undefined, "cog.yaml");
  const tf = pinOf(lines, "tensorflow") ?? pinOf(lines, "tensorflow-gpu");
  if (tf) {
    const row = TF_ROWS.find((candidate) => candidate.tensorflow === minor(tf));
    if (!row) {
      throw new UserError(`tensorflow==${tf} is not in cogts's TensorFlow/CUDA table`, [
        `Set build.cuda (and build.cudnn) in cog.yaml, or pin a TensorFlow from ${TF_ROWS.at(-1)!.tensorflow} to ${TF_ROWS[0]!.tensorflow}.`,
      ]);
    }
    return finish(row.cuda, row.cudnn, `tensorflow==${tf}`);
  }
  const torch = torchRow(lines);
  if (torch.localCuda) return finish(torch.localCuda, undefined, torch.reason!);
  if (torch.reason) {
    if (!torch.row) {
      throw new UserError(`${torch.reason} is not in cogts's PyTorch/CUDA table`, [
        `Set build.cuda in cog.yaml, or pin a torch from ${TORCH_ROWS.at(-1)!.torch} to ${TORCH_ROWS[0]!.torch}.`,
      ]);
    }
    return finish(torch.row.cuda.at(-1)!, undefined, torch.reason);
  }
  return finish(PYTHON_DEFAULT_CUDA, undefined, "default");
}

/** Cog's own SDK packages: the image runs cogts's `cog` package, so a pin of Cog's would shadow nothing but cost a download. */
const COG_PACKAGES = new Set(["cog", "coglet"]);

export interface ResolvedRequirements {
  /** The text of `.cog/build/requirements.txt`, empty when there is nothing to install. */
  text: string;
  /** What was changed and why, for `cog debug` and the build's progress. */
  notes: string[];
}

/**
 * The requirements the image installs: the user's lines, Cog's and coglet's dropped, and for a pinned
 * torch/torchvision/torchaudio the PyTorch index of the image's CUDA (newest CUDA PyTorch builds that torch for,
 * not above the image's) or of CPU builds, as `--extra-index-url` at the top. Pure: the lines come in.
 */
export function resolveRequirements(
  config: { build: { gpu: boolean; cuda?: string } },
  lines: string[],
): ResolvedRequirements {
  const notes: string[] = [];
  const kept: string[] = [];
  for (const line of lines) {
    const requirement = parseRequirement(line);
    if (requirement.name && COG_PACKAGES.has(requirement.name)) {
      notes.push(`left out "${line.trim()}": the image runs cogts's own cog package`);
      continue;
    }
    if (line.trim() !== "") kept.push(line.trimEnd());
  }
  const torch = torchRow(kept);
  let index: string | undefined;
  if (torch.row && !torch.localCuda && !kept.some((line) => line.includes("download.pytorch.org"))) {
    if (!config.build.gpu) {
      index = `${TORCH_INDEX}cpu`;
    } else if (config.build.cuda) {
      const image = cudaNumber(config.build.cuda);
      const cuda = torch.row.cuda.filter((candidate) => cudaNumber(candidate) <= image).at(-1);
      if (cuda) index = `${TORCH_INDEX}cu${cuda.replace(".", "")}`;
      else
        notes.push(
          `${torch.reason} has no PyTorch build for CUDA ${config.build.cuda} or older: installing it from the default index`,
        );
    }
  }
  if (index) {
    notes.push(
      `${torch.reason} comes from ${index} (${config.build.gpu ? `CUDA ${config.build.cuda}` : "CPU"} builds)`,
    );
    kept.unshift(`--extra-index-url ${index}`);
  }
  return { text: kept.length > 0 ? `${kept.join("\n")}\n` : "", notes };
}
