/**
 * cog.yaml for a Python predictor (`run: "predict.py:Predictor"`), checked as Cog 0.22 checks it
 * (docs/spec/cog-contract.md §1.1): `build.python_version` required when `build` exists, 3.10 or newer, `major.minor[.patch]`;
 * `python_packages` and `python_requirements` exclusive, the requirements file inside the project and existing;
 * `sdk_version` a PEP 440 version of at least 0.16.0 (0.17.0 for the static schema), or "prerelease". Node.js keys
 * with a Python predictor, and Python keys with a TypeScript one, are errors that say which language the refs chose.
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, normalize } from "node:path";
import type { Problem } from "./yaml-source.js";

type Mapping = Record<string, unknown>;
const isMapping = (v: unknown): v is Mapping => v !== null && typeof v === "object" && !Array.isArray(v);

const MINIMUM_PYTHON = [3, 10] as const;

/** "python" when the predictor/trainer refs name .py files, "typescript" otherwise; mixed refs are reported. */
export function predictorLanguage(data: Mapping): { language: "python" | "typescript"; problems: Problem[] } {
  const refs = (["run", "predict", "train"] as const)
    .filter((key) => typeof data[key] === "string" && data[key] !== "")
    .map((key) => ({ key, python: /\.py:/.test(data[key] as string) }));
  const python = refs.filter((r) => r.python);
  const problems: Problem[] = [];
  if (python.length > 0 && python.length < refs.length) {
    const other = refs.find((r) => !r.python)!;
    problems.push({
      path: [other.key],
      message: `${other.key} names a TypeScript file but ${python[0]!.key} names a Python one: a project's predictor and trainer are in one language. Write both in Python (.py) or both in TypeScript (.ts).`,
    });
  }
  return { language: python.length > 0 ? "python" : "typescript", problems };
}

/** Cog's ref rule for Python: exactly one `.py:` separator, a file inside the project that exists, a Python name. */
export function checkPythonRef(key: string, ref: string, dir: string): Problem[] {
  const example = key === "train" ? "train.py:Trainer" : "predict.py:Predictor";
  const at = (message: string): Problem[] => [{ path: [key], message }];
  // A TypeScript ref beside a Python one: predictorLanguage has said so already.
  if (!ref.includes(".py:") && /\.(m?ts|js):/.test(ref)) return [];
  const parts = ref.split(".py:");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
    return at(
      `${key} must be in the form 'predict.py:Predictor', with exactly one ".py:" (for example \`${key}: "${example}"\`), not ${JSON.stringify(ref)}.`,
    );
  }
  const file = `${parts[0]}.py`;
  const name = parts[1]!;
  if (!/^[A-Za-z_]\w*$/.test(name)) {
    return at(
      `${key} names ${JSON.stringify(name)}, which is not a Python class or function name (for example \`${key}: "${example}"\`).`,
    );
  }
  if (isAbsolute(file) || normalize(file).split(/[\\/]/)[0] === "..") {
    return at(
      `${key} file ${file} must be inside the project directory (only that directory goes into the image): give a path relative to cog.yaml.`,
    );
  }
  const full = join(dir, file);
  if (!existsSync(full) || !statSync(full).isFile())
    return at(`${key} file ${file} does not exist in ${dir}: create it or fix the path.`);
  return [];
}

/** Checks of `build` for a Python predictor. `versionText` reads a version as written (`3.10` is not 3.1). */
export function checkPythonBuild(
  build: Mapping,
  dir: string,
  versionText: (key: string) => string | undefined,
): Problem[] {
  const problems: Problem[] = [];
  if (build.node_version !== undefined) {
    problems.push({
      path: ["build", "node_version"],
      at: "key",
      message:
        'build.node_version is a Node.js setting, but the predictor is a Python file: remove it (set build.python_version to choose Python, for example python_version: "3.12").',
    });
  }
  const python = versionText("python_version");
  if (python === undefined) {
    problems.push({
      path: ["build"],
      at: "key",
      message:
        'build.python_version is required for a Python predictor: add it, quoted (for example python_version: "3.12"). Cog requires it whenever build is present.',
    });
  } else {
    const match = /^(\d+)\.(\d+)(\.\d+)?$/.exec(python);
    if (!match) {
      problems.push({
        path: ["build", "python_version"],
        message: `build.python_version must be major.minor[.patch] (for example python_version: "3.12", quoted), not ${JSON.stringify(python)}.`,
      });
    } else if (
      Number(match[1]) < MINIMUM_PYTHON[0] ||
      (Number(match[1]) === MINIMUM_PYTHON[0] && Number(match[2]) < MINIMUM_PYTHON[1])
    ) {
      problems.push({
        path: ["build", "python_version"],
        message: `build.python_version ${python} is too old: the minimum supported Python version is ${MINIMUM_PYTHON.join(".")} (for example python_version: "3.12").`,
      });
    }
  }
  if (build.python_packages !== undefined && build.python_requirements !== undefined) {
    problems.push({
      path: ["build", "python_packages"],
      at: "key",
      message:
        "only one of python_packages or python_requirements can be set: move the packages into the requirements file and delete python_packages (it is deprecated).",
    });
  }
  const requirements = build.python_requirements;
  if (typeof requirements === "string") {
    if (isAbsolute(requirements) || normalize(requirements).split(/[\\/]/)[0] === "..") {
      problems.push({
        path: ["build", "python_requirements"],
        message: `build.python_requirements ${requirements} must be inside the project directory: give a path relative to cog.yaml.`,
      });
    } else if (!existsSync(join(dir, requirements)) || !statSync(join(dir, requirements)).isFile()) {
      problems.push({
        path: ["build", "python_requirements"],
        message: `build.python_requirements ${requirements}: file does not exist in ${dir} (create it, or fix the path).`,
      });
    }
  }
  const sdk = versionText("sdk_version");
  if (sdk !== undefined && sdk !== "prerelease") {
    const match = /^(\d+)\.(\d+)(?:\.(\d+))?((?:a|b|rc)\d+)?(\.(?:dev|post)\d+)?$/.exec(sdk);
    if (!match) {
      problems.push({
        path: ["build", "sdk_version"],
        message: `build.sdk_version must be a PEP 440 version such as "0.17.0", or "prerelease", not ${JSON.stringify(sdk)}.`,
      });
    } else if (compare(match, [0, 17, 0]) < 0) {
      problems.push({
        path: ["build", "sdk_version"],
        message: `build.sdk_version ${sdk} is older than 0.17.0, whose static schema cogts follows (Cog refuses to derive a schema for it too): use "0.17.0" or newer, or remove sdk_version.`,
      });
    }
  }
  return problems;
}

function compare(match: RegExpExecArray, to: readonly number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = Number(match[i + 1] ?? 0) - to[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Cog: `concurrency.max` above 1 needs Python 3.11 or newer (and an async predict(), which the worker checks). */
export function checkPythonConcurrency(data: Mapping, python: string | undefined): Problem[] {
  const concurrency = data.concurrency;
  const max = isMapping(concurrency) ? concurrency.max : undefined;
  const match = python === undefined ? null : /^(\d+)\.(\d+)/.exec(python);
  if (typeof max !== "number" || max <= 1 || !match) return [];
  if (Number(match[1]) > 3 || (Number(match[1]) === 3 && Number(match[2]) >= 11)) return [];
  return [
    {
      path: ["concurrency", "max"],
      message: `concurrency.max ${max} needs Python 3.11 or newer (build.python_version is ${python}): raise python_version, or set max: 1.`,
    },
  ];
}
