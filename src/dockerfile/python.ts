/**
 * The Dockerfile of a Python model (`run: "predict.py:Predictor"`), laid out as Cog 0.22 lays out its own
 * (docs/spec/cog-contract.md §2.3, without Cog's r8.im/cog-base images): `python:<version>-slim` for a CPU model; for
 * `gpu: true` the nvidia/cuda runtime image with cuDNN for the completed CUDA, with the requested Python installed
 * by uv as Cog does (Ubuntu's own Python is not the one asked for). The requirements come in before the code, so
 * editing predict.py reinstalls nothing; pip keeps its downloads in a cache mount.
 *
 * The runtime is cogts's: its Node.js server (the `node` binary from the official image, as for TypeScript) and
 * its Python worker and `cog` package at /opt/cogts/runtime/python, which the server puts on PYTHONPATH.
 * Package mirrors (PIP_INDEX_URL, the offline tests' local index) change `.cog/build/requirements.txt`, never
 * this text, so the Dockerfile is the one a user with internet needs.
 */
import { cudaBaseImage } from "../config/index.js";
import type { Config } from "../config/index.js";
import { UserError } from "../errors.js";
import {
  aptLines,
  BUILD_DIR,
  CA_CERT_PATH,
  codeStageLines,
  type DockerfileOptions,
  environmentLines,
  imageTailLines,
  jsonArray,
  mirrorImage,
  nodeImage,
  runCommandLines,
  RUNTIME_DIR,
} from "./lines.js";
import type { ProjectFacts } from "./project.js";

/** Where the build puts cogts's Python package (`cog`, the worker): the server looks beside its dist for it. */
export const PYTHON_SDK_BUILD_DIR = `${BUILD_DIR}/python`;
const PYTHON_SDK_IMAGE_DIR = `${RUNTIME_DIR}/runtime/python`;
/** The requirements the image installs, as resolved by src/config/python-requirements.ts. */
export const REQUIREMENTS_BUILD_FILE = `${BUILD_DIR}/requirements.txt`;
/** Cog 0.22's uv (pkg/dockerfile/standard_generator.go pins the same image). */
const UV_IMAGE = "ghcr.io/astral-sh/uv:0.9.26";
/** Cog's library path for GPU images: NVIDIA's container toolkit mounts the driver's libraries under /usr/local/nvidia. */
const LD_LIBRARY_PATH = "$LD_LIBRARY_PATH:/usr/lib/x86_64-linux-gnu:/usr/local/nvidia/lib64:/usr/local/nvidia/bin";

/** A Python model: its predictor or trainer names a `.py` file (the config check refuses mixed languages). */
export function isPythonConfig(config: Config): boolean {
  return [config.predict, config.train].some((ref) => ref !== undefined && /\.py:/.test(ref));
}

/** Whether the image installs packages: python_packages or a python_requirements file. */
export function hasPythonRequirements(config: Config): boolean {
  return (config.build.python_packages?.length ?? 0) > 0 || config.build.python_requirements !== undefined;
}

function pythonVersion(config: Config): string {
  const version = config.build.python_version;
  if (!version || !/^\d+\.\d+(?:\.\d+)?$/.test(version)) {
    throw new UserError(`build.python_version ${JSON.stringify(version ?? "")} is not a Python version`, [
      `Write it quoted, for example python_version: "3.12".`,
    ]);
  }
  return version;
}

/** `python:3.11-slim` for a CPU model, the nvidia/cuda runtime+cuDNN image of the completed CUDA for a GPU one. */
function pythonBaseImage(config: Config): string {
  if (!config.build.gpu) return `python:${pythonVersion(config)}-slim`;
  if (!config.build.cuda || !config.build.cudnn)
    throw new Error("a GPU config reaches the generator with cuda and cudnn completed");
  return cudaBaseImage(config.build.cuda, config.build.cudnn);
}

function installLines(config: Config, buildkit: boolean): string[] {
  if (!hasPythonRequirements(config)) return [];
  // pip for both, as Cog's `uv run pip install`: uv's own resolver would take a package only from the first index
  // that has it, and the PyTorch index also carries numpy, pillow and others in a few versions.
  // uv's Python carries an EXTERNALLY-MANAGED marker; the image is the environment, so pip is told to go ahead.
  const flags = `--root-user-action=ignore${config.build.gpu ? " --break-system-packages" : ""}`;
  return [
    `COPY ${REQUIREMENTS_BUILD_FILE} /tmp/requirements.txt`,
    buildkit
      ? `RUN --mount=type=cache,target=/root/.cache/pip python3 -m pip install ${flags} --cache-dir /root/.cache/pip -r /tmp/requirements.txt`
      : `RUN python3 -m pip install ${flags} --no-cache-dir -r /tmp/requirements.txt`,
  ];
}

/** GPU only: the requested Python, installed by uv into /opt/python and linked where Cog links it. */
function uvPythonLines(config: Config, buildkit: boolean): string[] {
  const version = pythonVersion(config);
  const install = `uv python install ${version} \\`;
  return [
    "COPY --from=uv /uv /uvx /usr/local/bin/",
    `ENV UV_PYTHON_INSTALL_DIR=/opt/python UV_PYTHON=${version}`,
    buildkit ? `RUN --mount=type=cache,target=/root/.cache/uv ${install}` : `RUN ${install}`,
    `    && ln -sf "$(uv python find ${version})" /usr/bin/python3 \\`,
    "    && ln -sf /usr/bin/python3 /usr/local/bin/python",
  ];
}

/**
 * Dockerfile text for a Python model. Throws UserError for what cannot be built (see generateDockerfile).
 *
 * @example generatePythonDockerfile(config, schema, facts, { mirror: "cogts-mirror.invalid" })
 */
export function generatePythonDockerfile(
  config: Config,
  schema: object | undefined,
  project: ProjectFacts,
  options: DockerfileOptions = {},
): string {
  const buildkit = options.buildkit ?? true;
  const modelBase = options.modelBase ?? false;
  const gpu = config.build.gpu;
  // A Python project has nothing to transpile, and a package.json there is not the model's.
  const facts: ProjectFacts = {
    ...project,
    hasPackageJson: false,
    hasTypeScript: false,
    dependencies: {},
    sdkCopies: [],
  };
  const lines: string[] = [`FROM ${mirrorImage(nodeImage(config), options.mirror)} AS node`];
  if (gpu) lines.push(`FROM ${UV_IMAGE} AS uv`);
  lines.push("", ...(modelBase ? [] : [...codeStageLines(facts, buildkit), ""]));
  lines.push(
    `FROM ${mirrorImage(pythonBaseImage(config), options.mirror)}`,
    "ENV DEBIAN_FRONTEND=noninteractive",
    "ENV PYTHONUNBUFFERED=1",
  );
  if (gpu) lines.push(`ENV LD_LIBRARY_PATH=${LD_LIBRARY_PATH}`, "ENV NVIDIA_DRIVER_CAPABILITIES=all");
  if (options.caCert) {
    // Node reads the extra certificate directly; pip and uv the system bundle that update-ca-certificates rebuilds.
    lines.push(`COPY ${BUILD_DIR}/ca-certificates.crt ${CA_CERT_PATH}`, `ENV NODE_EXTRA_CA_CERTS=${CA_CERT_PATH}`);
  }
  lines.push(...environmentLines(config));
  // uv downloads Python over HTTPS: the CUDA images have no CA certificates.
  const apt = gpu
    ? ["ca-certificates", ...config.build.system_packages.filter((name) => name !== "ca-certificates")]
    : config.build.system_packages;
  lines.push(...aptLines(apt, buildkit));
  if (options.caCert) {
    // pip and uv read their own bundles unless told, as Cog tells them, to read the system one.
    const bundle = "/etc/ssl/certs/ca-certificates.crt";
    lines.push(
      "RUN update-ca-certificates",
      `ENV SSL_CERT_FILE=${bundle} REQUESTS_CA_BUNDLE=${bundle} PIP_CERT=${bundle}`,
    );
  }
  if (gpu) lines.push(...uvPythonLines(config, buildkit));
  lines.push(
    "COPY --from=node /usr/local/bin/node /usr/local/bin/node",
    `COPY ${BUILD_DIR}/cogts ${RUNTIME_DIR}`,
    `COPY ${PYTHON_SDK_BUILD_DIR} ${PYTHON_SDK_IMAGE_DIR}`,
    ...installLines(config, buildkit),
    ...runCommandLines(config, buildkit),
    "WORKDIR /src",
    ...(modelBase ? [] : project.weights.map((file) => `COPY ${jsonArray([file, `/src/${file}`])}`)),
    "EXPOSE 5000",
  );
  lines.push(...imageTailLines(config, Boolean(schema), Boolean(modelBase)));
  return `${lines.join("\n")}\n`;
}
