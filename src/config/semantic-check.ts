/**
 * The checks a JSON Schema cannot express, following Cog 0.22's validator (pkg/config/validate.go, env.go) with
 * TypeScript predictors in place of Python ones. Every check guards the type of what it reads: the schema check
 * has already reported wrong types, and a second message about the same value would only be noise.
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, normalize, posix } from "node:path";
import { checkCuda, versionText } from "./cuda-check.js";
import { checkPythonBuild, checkPythonConcurrency, checkPythonRef, predictorLanguage } from "./python-check.js";
import type { Problem } from "./yaml-source.js";

type Mapping = Record<string, unknown>;
type SourceText = (path: (string | number)[]) => string | undefined;

const isMapping = (v: unknown): v is Mapping => v !== null && typeof v === "object" && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === "string";

/** The oldest Node.js the cogts runtime supports (package.json engines). */
const MINIMUM_NODE_MAJOR = 20;

const PREDICTOR_EXTENSIONS = [".ts", ".mts", ".js"];

/** Cog's reserved names (pkg/config/env.go), plus NODE_PATH, which would change how the cogts runtime resolves modules. */
const DENIED_ENV: string[] = [
  "PATH",
  "LD_LIBRARY_PATH",
  "PYTHONPATH",
  "VIRTUAL_ENV",
  "PYTHONUNBUFFERED",
  "R8_*",
  "REPLICATE_*",
  "LIBRARY_PATH",
  "CUDA_*",
  "NVIDIA_*",
  "NV_*",
  "PGET_*",
  "HF_ENDPOINT",
  "HF_HUB_ENABLE_HF_TRANSFER",
  "KUBERNETES_*",
  "NODE_PATH",
];

const PYTHON_ONLY: Record<string, string> = {
  python_version:
    'the predictor is TypeScript (a .ts file), so there is no Python to choose. Remove it; to choose the Node.js version set build.node_version (for example node_version: "22"); for a Python predictor, name a .py file (run: "predict.py:Predictor")',
  python_requirements:
    "cogts installs dependencies from package.json and its lockfile. Remove it and add the packages to package.json (npm install PACKAGE)",
  python_packages:
    "cogts installs dependencies from package.json and its lockfile. Remove it and add the packages to package.json (npm install PACKAGE)",
  sdk_version: 'the cogts SDK version is the "cogts" dependency in package.json. Remove it',
  pre_install: "it is deprecated and ran before Python packages were installed. Move its commands to build.run",
};

/** Every semantic problem of the (schema-shaped, maybe partly wrong) cog.yaml data. */
export function checkSemantics(data: unknown, dir: string, sourceTextOf: SourceText = () => undefined): Problem[] {
  if (!isMapping(data)) return [];
  const { language, problems: languageProblems } = predictorLanguage(data);
  if (language === "python") {
    return [
      ...languageProblems,
      ...checkPredictorRefs(data, dir, checkPythonRef),
      ...(isMapping(data.build)
        ? [
            ...checkPythonBuild(data.build, dir, (key) =>
              versionText((data.build as Mapping)[key], sourceTextOf(["build", key])),
            ),
            ...checkBuildCommon(data.build, sourceTextOf),
          ]
        : []),
      ...checkPythonConcurrency(
        data,
        isMapping(data.build)
          ? versionText(data.build.python_version, sourceTextOf(["build", "python_version"]))
          : undefined,
      ),
      ...checkEnvironment(data.environment),
      ...checkModelAndImage(data),
      ...checkWeights(data),
    ];
  }
  return [
    ...checkPredictorRefs(data, dir),
    ...checkBuild(data.build, sourceTextOf),
    ...checkEnvironment(data.environment),
    ...checkModelAndImage(data),
    ...checkWeights(data),
  ];
}

function checkPredictorRefs(data: Mapping, dir: string, check = checkRef): Problem[] {
  const problems: Problem[] = [];
  if (isString(data.run) && isString(data.predict) && data.run !== "" && data.predict !== "") {
    problems.push({
      path: ["predict"],
      at: "key",
      message:
        "only one of run and predict can be set: they are two names for the predictor. Keep run (predict is its deprecated spelling) and delete predict.",
    });
  }
  for (const key of ["run", "predict", "train"] as const) {
    const ref = data[key];
    if (isString(ref) && ref !== "") problems.push(...check(key, ref, dir));
  }
  return problems;
}

/** `predict.ts:Predictor`: a TypeScript/JavaScript file inside the project, a class name. */
function checkRef(key: string, ref: string, dir: string): Problem[] {
  const example = key === "train" ? "train.ts:Trainer" : "predict.ts:Predictor";
  const what = key === "train" ? "trainer" : "predictor";
  const at = (message: string): Problem[] => [{ path: [key], message }];
  const parts = ref.split(":");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
    return at(
      `${key} must be FILE:Class, with exactly one ":" (for example \`${key}: "${example}"\`), not ${JSON.stringify(ref)}.`,
    );
  }
  const [file, name] = parts as [string, string];
  if (file.endsWith(".py")) {
    return at(
      `${key} points at a Python file (${file}) in a project whose ${what} is TypeScript: write both in one language (the ${what} in a .ts file, \`${key}: "${example}"\`).`,
    );
  }
  if (!PREDICTOR_EXTENSIONS.some((ext) => file.endsWith(ext))) {
    return at(
      `${key} must name a .ts, .mts or .js file, not ${JSON.stringify(file)} (for example \`${key}: "${example}"\`).`,
    );
  }
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) {
    return at(
      `${key} names the class ${JSON.stringify(name)}, which is not a valid class name: use the exported class's name (for example \`${key}: "${example}"\`).`,
    );
  }
  if (isAbsolute(file) || normalize(file).split(/[\\/]/)[0] === "..") {
    return at(
      `${key} file ${file} must be inside the project directory (only that directory goes into the image): give a path relative to cog.yaml.`,
    );
  }
  const full = join(dir, file);
  if (!existsSync(full) || !statSync(full).isFile()) {
    return at(
      `${key} file ${file} does not exist in ${dir}: create it (cog init writes a predict.ts) or fix the path.`,
    );
  }
  return [];
}

function checkBuild(build: unknown, sourceTextOf: SourceText): Problem[] {
  if (!isMapping(build)) return [];
  const problems: Problem[] = [];
  for (const [key, why] of Object.entries(PYTHON_ONLY)) {
    if (build[key] !== undefined)
      problems.push({ path: ["build", key], at: "key", message: `build.${key} is a Python setting: ${why}.` });
  }
  const node = versionText(build.node_version, sourceTextOf(["build", "node_version"]));
  if (node !== undefined && /^\d+$/.test(node) && Number(node) < MINIMUM_NODE_MAJOR) {
    problems.push({
      path: ["build", "node_version"],
      message: `build.node_version ${node} is too old: cogts needs Node.js ${MINIMUM_NODE_MAJOR} or newer (for example \`node_version: "22"\`).`,
    });
  }
  problems.push(...checkBuildCommon(build, sourceTextOf));
  return problems;
}

/** Checks of `build` that hold for both languages. */
function checkBuildCommon(build: Mapping, sourceTextOf: SourceText): Problem[] {
  const problems: Problem[] = [];
  if (Array.isArray(build.run)) {
    build.run.forEach((item, i) => {
      const command = isString(item) ? item : isMapping(item) && isString(item.command) ? item.command : undefined;
      if (command !== undefined && /[\r\n]/.test(command)) {
        problems.push({
          path: isString(item) ? ["build", "run", i] : ["build", "run", i, "command"],
          message: `build.run[${i}] contains a newline; each command must be one line. Split it into several build.run items, or join the lines with && on one line.`,
        });
      }
    });
  }
  problems.push(...checkCuda(build, sourceTextOf));
  return problems;
}

function checkEnvironment(environment: unknown): Problem[] {
  if (!Array.isArray(environment)) return [];
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  environment.forEach((item, i) => {
    if (!isString(item)) return;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(item);
    if (!match) return; // the schema's pattern reported it
    const name = match[1]!;
    // Each variable becomes one Dockerfile ENV line: a line break would end it and start an instruction of its own.
    if (/[\r\n\0]/.test(item)) {
      problems.push({
        path: ["environment", i],
        message: `environment variable ${name} has a line break (or a NUL) in its value; a value must be one line. Remove it, or have the program read the value from a file.`,
      });
    }
    const denied = DENIED_ENV.find((entry) =>
      entry.endsWith("*") ? name.startsWith(entry.slice(0, -1)) : name === entry,
    );
    if (denied) {
      problems.push({
        path: ["environment", i],
        message: `environment variable ${name} is not allowed: ${denied === "NODE_PATH" ? "the cogts runtime sets how modules are found" : "it is reserved for internal use by Cog and the platforms that run its images"}${denied.endsWith("*") ? ` (every ${denied} name is)` : ""}. Remove it or rename it.`,
      });
    }
    const first = seen.get(name);
    if (first !== undefined) {
      problems.push({
        path: ["environment", i],
        message: `environment variable ${name} is set twice (first at environment[${first}]). Keep one of them.`,
      });
    } else {
      seen.set(name, i);
    }
  });
  return problems;
}

function checkModelAndImage(data: Mapping): Problem[] {
  const problems: Problem[] = [];
  if (isString(data.model) && isString(data.image) && data.model !== "" && data.image !== "") {
    problems.push({
      path: ["model"],
      at: "key",
      message:
        "only one of image and model can be set: model names the repository of a bundle push (image plus weights), image a plain image. Delete one of them.",
    });
  }
  if (isString(data.model) && data.model !== "") {
    const model = data.model;
    const lastSegment = model.split("/").at(-1) ?? "";
    if (model.includes("@") || lastSegment.includes(":")) {
      const bare = model.split("@")[0]!.replace(/:[^/]*$/, "");
      problems.push({
        path: ["model"],
        message: `model must be a bare repository; tags and digests are not allowed (cog push chooses the tag). Write \`model: ${bare}\`.`,
      });
    } else if (
      !/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*$/.test(model.replace(/^[^/]*[.:][^/]*\//, ""))
    ) {
      problems.push({
        path: ["model"],
        message: `model ${JSON.stringify(model)} is not a valid repository name: use lowercase letters, digits and . _ - separated by /, e.g. r8.im/owner/model.`,
      });
    }
  }
  return problems;
}

function checkWeights(data: Mapping): Problem[] {
  const weights = data.weights;
  if (!Array.isArray(weights) || weights.length === 0) return [];
  const problems: Problem[] = [];
  if (!isString(data.model) || data.model === "") {
    problems.push({
      path: ["weights"],
      at: "key",
      message: isString(data.image)
        ? "weights require model (a bundle push carries the weights beside the image): rename image to model."
        : "weights require model (a bundle push carries the weights beside the image): add `model: r8.im/owner/name`.",
    });
  }
  const names = new Map<string, number>();
  const targets = new Map<string, { target: string; index: number }>();
  /** Ancestor directory → the first target below it. */
  const under = new Map<string, { target: string; index: number }>();
  weights.forEach((weight, i) => {
    if (!isMapping(weight)) return;
    if (isString(weight.name)) {
      const first = names.get(weight.name);
      if (first !== undefined)
        problems.push({
          path: ["weights", i, "name"],
          message: `weights[${i}].name ${JSON.stringify(weight.name)} is already used by weights[${first}]; names must be unique.`,
        });
      else names.set(weight.name, i);
    }
    if (isString(weight.target)) {
      const target = weight.target;
      if (!target.startsWith("/")) {
        problems.push({
          path: ["weights", i, "target"],
          message: `weights[${i}].target must be an absolute path in the image (for example /src/weights), not ${JSON.stringify(target)}.`,
        });
      } else if (posix.normalize(target) === "/") {
        problems.push({
          path: ["weights", i, "target"],
          message: `weights[${i}].target cannot be / (it would cover the whole image); choose a directory such as /src/weights.`,
        });
      } else {
        const normal = posix.normalize(target).replace(/\/$/, "");
        const nested = (other: { target: string; index: number }) =>
          problems.push({
            path: ["weights", i, "target"],
            message: `weights[${i}].target ${target} and weights[${other.index}].target ${other.target} are nested; one target cannot be inside another.`,
          });
        // Looked up by path and by ancestor, not compared with every earlier target: linear in the number of weights.
        const same = targets.get(normal);
        if (same)
          problems.push({
            path: ["weights", i, "target"],
            message: `weights[${i}].target ${target} is already the target of weights[${same.index}]; targets must be unique.`,
          });
        const parts = normal.split("/");
        for (let depth = 2; depth < parts.length; depth++) {
          const outer = targets.get(parts.slice(0, depth).join("/"));
          if (outer) nested(outer);
        }
        const inner = under.get(normal);
        if (inner) nested(inner);
        if (!same) {
          targets.set(normal, { target: normal, index: i });
          for (let depth = 2; depth < parts.length; depth++) {
            const ancestor = parts.slice(0, depth).join("/");
            if (!under.has(ancestor)) under.set(ancestor, { target: normal, index: i });
          }
        }
      }
    }
    const sources = Array.isArray(weight.source) ? weight.source : [weight.source];
    sources.forEach((source, j) => {
      if (!isMapping(source)) return;
      const base: (string | number)[] = Array.isArray(weight.source)
        ? ["weights", i, "source", j]
        : ["weights", i, "source"];
      const label = `weights[${i}].source${Array.isArray(weight.source) ? `[${j}]` : ""}`;
      if (isString(source.uri)) {
        const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(source.uri)?.[1]?.toLowerCase();
        if (source.uri.trim() === "") {
          problems.push({
            path: [...base, "uri"],
            message: `${label}.uri is empty: give hf://owner/repo, https://…, file://… or a path in the project.`,
          });
        } else if (scheme !== undefined && !["hf", "https", "file"].includes(scheme)) {
          problems.push({
            path: [...base, "uri"],
            message: `${label}.uri uses the unsupported scheme ${scheme}://: use hf://owner/repo, https://…, file://… or a path in the project.`,
          });
        }
      }
      for (const list of ["include", "exclude"] as const) {
        const patterns = source[list];
        if (!Array.isArray(patterns)) continue;
        patterns.forEach((pattern, k) => {
          if (!isString(pattern)) return;
          const why =
            pattern.trim() === ""
              ? "is empty"
              : pattern.startsWith("!")
                ? "starts with ! (use exclude instead of negation)"
                : pattern.includes("\\")
                  ? "contains a backslash (use forward slashes)"
                  : undefined;
          if (why) problems.push({ path: [...base, list, k], message: `${label}.${list}[${k}] ${why}.` });
        });
      }
    });
  });
  return problems;
}
