/**
 * The Dockerfile of a cogts image: a pure function of the completed config, the schema and the project facts.
 *
 * Layers run from least to most often changed, so that editing predict.ts rebuilds only the last two:
 * base + init + apt packages, Node, the cogts runtime, npm dependencies, `build.run`, weights, then code.
 * Code is assembled in a separate `code` stage (sources, plus the JavaScript `cog build` transpiled them to),
 * which leaves out `.cog/` and the weight files (they have their own layers); it lands in the image as one layer.
 */
import type { Config } from "../config/types.js";
import { UserError } from "../errors.js";
import { cudaBaseImage, resolveCuda } from "../config/cuda.js";
import type { ProjectFacts } from "./project.js";
import { IMAGE_NPM_DIR } from "./npm-manifest.js";

/** Where `buildImage` puts the files the Dockerfile copies from the context (never sent into /src). */
export const BUILD_DIR = ".cog/build";
/** The runtime bundle (this package's dist/runtime + ajv + undici) inside the image. */
export const RUNTIME_DIR = "/opt/cogts";
/** The server process the image starts: agreed with the runtime (runtime/server/main.ts). */
export const SERVER_COMMAND = ["node", `${RUNTIME_DIR}/dist/runtime/server/main.js`];
export const CPU_BASE_IMAGE = "debian:bookworm-slim";
/** PID 1: Debian's and Ubuntu's `tini` package installs it here. */
export const INIT_COMMAND = ["/usr/bin/tini", "--"];

export interface DockerfileOptions {
  /** Registry host (and path) holding copies of Docker Hub images, laid out like Docker Hub (`library/debian`). */
  mirror?: string;
  /** false: the classic builder, which has no `RUN --mount`; cache mounts are dropped and secrets refused. */
  buildkit?: boolean;
  /** Whether `buildImage` put extra CA certificates at `.cog/build/ca-certificates.crt` (COGTS_CA_CERT, like Cog's COG_CA_CERT). */
  caCert?: boolean;
  /**
   * The model base (`cog serve`): everything but the code, its weights and its schema, which the container gets
   * from the project mounted at /src. Its lines are the full image's up to the weights, so each shares the cache.
   */
  modelBase?: boolean;
}

/** Where extra CA certificates go in the image; Node (and so npm) trusts them through NODE_EXTRA_CA_CERTS. */
export const CA_CERT_PATH = "/usr/local/share/ca-certificates/cogts-extra.crt";

/** `debian:bookworm-slim` → `MIRROR/library/debian:bookworm-slim`; `nvidia/cuda:T` → `MIRROR/nvidia/cuda:T`. */
export function mirrorImage(image: string, mirror: string | undefined): string {
  if (!mirror) return image;
  const host = mirror.replace(/^[a-z]+:\/\//, "").replace(/\/+$/, "");
  const repository = image.split(":")[0]!;
  return `${host}/${repository.includes("/") ? image : `library/${image}`}`;
}

/** The base image of the final stage and, for GPU models, the CUDA/cuDNN pair it was chosen for. */
export function baseImageFor(config: Config, dependencies: Record<string, string>): { image: string; cuda?: string; cudnn?: string } {
  if (!config.build.gpu) return { image: CPU_BASE_IMAGE };
  const { cuda, cudnn } = resolveCuda(config.build, dependencies);
  return { image: cudaBaseImage(cuda, cudnn), cuda, cudnn };
}

/** A value for an `ENV` line: quoted so spaces, `$` and quotes survive. */
function envValue(value: string): string {
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

function jsonArray(items: string[]): string {
  return `[${items.map((item) => JSON.stringify(item)).join(", ")}]`;
}

function nodeImage(config: Config): string {
  const version = config.build.node_version;
  if (!/^\d+(?:\.\d+){0,2}$/.test(version)) {
    throw new UserError(`build.node_version "${version}" is not a Node.js version`, [
      `Write a major version such as "22" (optionally "22.11" or "22.11.0").`,
    ]);
  }
  return `node:${version}-bookworm-slim`;
}

function aptLines(packages: string[], buildkit: boolean): string[] {
  const all = ["tini", ...packages.filter((name) => name !== "tini")];
  for (const name of all) {
    if (!/^[a-z0-9][a-z0-9+.:=~_-]*$/i.test(name)) {
      throw new UserError(`build.system_packages: "${name}" is not an apt package name`);
    }
  }
  const install = `apt-get update -qq && apt-get install -qqy --no-install-recommends ${all.join(" ")}`;
  if (!buildkit) return [`RUN ${install} \\`, "    && rm -rf /var/lib/apt/lists/*"];
  // Debian images delete downloaded packages after each install (docker-clean); keep them in the cache mount.
  return [
    "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\",
    "    --mount=type=cache,target=/var/lib/apt,sharing=locked \\",
    "    rm -f /etc/apt/apt.conf.d/docker-clean \\",
    `    && ${install}`,
  ];
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

function runCommandLines(config: Config, buildkit: boolean): string[] {
  return config.build.run.map(({ command, mounts = [] }, index) => {
    if (/[\r\n]/.test(command)) {
      throw new UserError(`build.run[${index}]: a command cannot contain a newline`, [
        "Split it into several build.run items, or join the lines with &&.",
      ]);
    }
    if (mounts.length > 0 && !buildkit) {
      throw new UserError(`build.run[${index}] mounts a secret, which needs BuildKit`, [
        "The engine builds with the classic builder; use Docker 20.10 or newer with BuildKit enabled.",
      ]);
    }
    const flags = mounts.map((mount) => `--mount=type=secret,id=${mount.id},target=${mount.target} `).join("");
    return `RUN ${flags}${command}`;
  });
}

function codeStageLines(config: Config, project: ProjectFacts, buildkit: boolean): string[] {
  // Everything except .cog/ (scratch and the build kit), the weights, which have their own layers, copies of cogts
  // (the image has its own runtime), and the npm manifests, which come pruned from the build kit.
  const npmFiles = project.hasPackageJson ? ["package.json", "package-lock.json", "npm-shrinkwrap.json"] : [];
  const excludes = [".cog", ...project.weights, ...(project.sdkCopies ?? []), ...npmFiles].map((p) => `--exclude=${shellQuote(`./${p}`)}`).join(" ");
  // --no-wildcards: a weight named `a[1].bin` is a file name, not a pattern.
  const steps = [`tar -C /context --no-wildcards ${excludes} -cf - . | tar -C /src -xf -`];
  if (project.hasPackageJson) steps.push(`cp /context/${BUILD_DIR}/${IMAGE_NPM_DIR}/package.json /src/`);
  if (project.configFile !== "cog.yaml") steps.push(`cp ${shellQuote(project.configFile)} cog.yaml`);
  // The JavaScript that `cog build` transpiled from the TypeScript sources goes beside them.
  if (project.hasTypeScript) steps.push(`cp -R /context/${BUILD_DIR}/js/. /src/`);
  const lines = ["FROM node AS code", "WORKDIR /src"];
  if (buildkit) {
    lines.push("RUN --mount=type=bind,target=/context \\");
  } else {
    lines.push("COPY . /context");
    lines.push("RUN set -e; \\");
  }
  steps.forEach((step, i) => lines.push(`    ${i === 0 ? "" : "&& "}${step}${i < steps.length - 1 || !buildkit ? " \\" : ""}`));
  if (!buildkit) lines.push("    && rm -rf /context");
  return lines;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function environmentLines(config: Config): string[] {
  if (config.environment.length === 0) return [];
  const pairs = config.environment.map((entry) => {
    const eq = entry.indexOf("=");
    return [entry.slice(0, eq), entry.slice(eq + 1)] as const;
  });
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [`ENV ${pairs.map(([name, value]) => `${name}=${envValue(value)}`).join(" ")}`];
}

/**
 * Dockerfile text for the project. Throws UserError for what cannot be built (an impossible CUDA/cuDNN pair,
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
  const buildkit = options.buildkit ?? true;
  const base = baseImageFor(config, project.dependencies);
  const modelBase = options.modelBase ?? false;
  const lines: string[] = [
    `FROM ${mirrorImage(nodeImage(config), options.mirror)} AS node`,
    "",
    ...(modelBase ? [] : [...codeStageLines(config, project, buildkit), ""]),
    `FROM ${mirrorImage(base.image, options.mirror)}`,
    "ENV DEBIAN_FRONTEND=noninteractive",
  ];
  if (config.build.gpu) lines.push("ENV NVIDIA_DRIVER_CAPABILITIES=all");
  if (options.caCert) lines.push(`COPY ${BUILD_DIR}/ca-certificates.crt ${CA_CERT_PATH}`, `ENV NODE_EXTRA_CA_CERTS=${CA_CERT_PATH}`);
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
  if (config.predict) lines.push(`ENV COG_PREDICT_TYPE_STUB=${envValue(config.predict)}`);
  if (config.train) lines.push(`ENV COG_TRAIN_TYPE_STUB=${envValue(config.train)}`);
  if (config.concurrency) lines.push(`ENV COG_MAX_CONCURRENCY=${config.concurrency.max}`);
  lines.push(`ENTRYPOINT ${jsonArray(INIT_COMMAND)}`, `CMD ${jsonArray(SERVER_COMMAND)}`);
  if (modelBase) return `${lines.join("\n")}\n`;
  lines.push("COPY --from=code /src/ /src/");
  if (schema) lines.push(`COPY ${BUILD_DIR}/openapi_schema.json /src/.cog/openapi_schema.json`);
  return `${lines.join("\n")}\n`;
}
