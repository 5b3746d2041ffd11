/**
 * The Dockerfile of a cogts image: a pure function of the completed config, the schema and the project facts.
 *
 * Layers run from least to most often changed, so that editing predict.ts rebuilds only the last two:
 * base + init + apt packages, Node, the cogts runtime, npm dependencies, `build.run`, weights, then code.
 * Code is assembled in a separate `code` stage (sources, plus the JavaScript `cog build` transpiled them to),
 * which leaves out `.cog/` and the weight files (they have their own layers); it lands in the image as one layer.
 */
import type { Config } from "../config/index.js";
import { cudaBaseImage, resolveCuda } from "../config/index.js";
import type { ProjectFacts } from "./project.js";
import { IMAGE_NPM_DIR } from "./npm-manifest.js";
import {
  aptLines,
  BUILD_DIR,
  CA_CERT_PATH,
  codeStageLines,
  CPU_BASE_IMAGE,
  type DockerfileOptions,
  environmentLines,
  imageTailLines,
  jsonArray,
  mirrorImage,
  nodeImage,
  runCommandLines,
  RUNTIME_DIR,
} from "./lines.js";
import { generatePythonDockerfile, isPythonConfig } from "./python.js";

export type { DockerfileOptions } from "./lines.js";
export { BUILD_DIR, CA_CERT_PATH, CPU_BASE_IMAGE, mirrorImage, RUNTIME_DIR } from "./lines.js";

/** The base image of the final stage and, for GPU models, the CUDA/cuDNN pair it was chosen for. */
export function baseImageFor(
  config: Config,
  dependencies: Record<string, string>,
): { image: string; cuda?: string; cudnn?: string } {
  if (!config.build.gpu) return { image: CPU_BASE_IMAGE };
  const { cuda, cudnn } = resolveCuda(config.build, dependencies);
  return { image: cudaBaseImage(cuda, cudnn), cuda, cudnn };
}

function dependencyLines(project: ProjectFacts, buildkit: boolean): string[] {
  const link = `ln -s ${RUNTIME_DIR} node_modules/cogts`;
  if (!project.hasPackageJson || Object.keys(project.dependencies).length === 0) {
    return [`RUN mkdir -p node_modules && ${link}`];
  }
  // The project's manifest and lockfile as npm-manifest.ts pruned them: no cogts, no dev dependencies.
  const staged = `${BUILD_DIR}/${IMAGE_NPM_DIR}`;
  const manifest = [`${staged}/package.json`, ...(project.lockfile ? [`${staged}/${project.lockfile}`] : [])];
  const install = project.lockfile
    ? "npm ci --omit=dev --no-audit --no-fund"
    : "npm install --omit=dev --no-audit --no-fund --no-package-lock";
  const run = buildkit
    ? `RUN --mount=type=cache,target=/root/.npm ${install} \\`
    : `RUN ${install} && rm -rf /root/.npm \\`;
  // npm installs into a fresh node_modules, so the link to the bundled runtime comes after it.
  return [`COPY ${manifest.join(" ")} ./`, run, `    && ${link}`];
}

/**
 * Dockerfile text for the project (a Python model's comes from python.ts). Throws UserError for what cannot be built (an impossible CUDA/cuDNN pair,
 * a multi-line build.run command, secrets on the classic builder).
 *
 * @example generateDockerfile(config, schema, await readProjectFacts(dir), { mirror: process.env.COGTS_BASE_IMAGE_MIRROR })
 */
export function generateDockerfile(
  config: Config,
  schema: object | undefined,
  project: ProjectFacts,
  options: DockerfileOptions = {},
): string {
  if (isPythonConfig(config)) return generatePythonDockerfile(config, schema, project, options);
  const buildkit = options.buildkit ?? true;
  const base = baseImageFor(config, project.dependencies);
  const modelBase = options.modelBase ?? false;
  const lines: string[] = [
    `FROM ${mirrorImage(nodeImage(config), options.mirror)} AS node`,
    "",
    ...(modelBase ? [] : [...codeStageLines(project, buildkit), ""]),
    `FROM ${mirrorImage(base.image, options.mirror)}`,
    "ENV DEBIAN_FRONTEND=noninteractive",
  ];
  if (config.build.gpu) lines.push("ENV NVIDIA_DRIVER_CAPABILITIES=all");
  if (options.caCert)
    lines.push(`COPY ${BUILD_DIR}/ca-certificates.crt ${CA_CERT_PATH}`, `ENV NODE_EXTRA_CA_CERTS=${CA_CERT_PATH}`);
  lines.push(...environmentLines(config));
  lines.push(...aptLines(config.build.system_packages, buildkit));
  lines.push(
    "COPY --from=node /usr/local/bin/node /usr/local/bin/node",
    "COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm",
    "RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\",
    "    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx",
    `COPY ${BUILD_DIR}/cogts ${RUNTIME_DIR}`,
    "WORKDIR /src",
    ...dependencyLines(project, buildkit),
    ...runCommandLines(config, buildkit),
    ...(modelBase ? [] : project.weights.map((file) => `COPY ${jsonArray([file, `/src/${file}`])}`)),
    "EXPOSE 5000",
  );
  lines.push(...imageTailLines(config, Boolean(schema), Boolean(modelBase)));
  return `${lines.join("\n")}\n`;
}
