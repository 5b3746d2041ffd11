/**
 * The pieces every generated Dockerfile shares, whatever the predictor's language: paths agreed with the runtime,
 * base-image mirroring, apt, `build.run`, environment and the `code` stage.
 */
import type { Config } from "../config/index.js";
import { UserError } from "../errors.js";
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

/** A value for an `ENV` line: quoted so spaces, `$` and quotes survive. */
export function envValue(value: string): string {
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

export function jsonArray(items: string[]): string {
  return `[${items.map((item) => JSON.stringify(item)).join(", ")}]`;
}

export function nodeImage(config: Config): string {
  const version = config.build.node_version;
  if (!/^\d+(?:\.\d+){0,2}$/.test(version)) {
    throw new UserError(`build.node_version "${version}" is not a Node.js version`, [
      `Write a major version such as "22" (optionally "22.11" or "22.11.0").`,
    ]);
  }
  return `node:${version}-bookworm-slim`;
}

export function aptLines(packages: string[], buildkit: boolean): string[] {
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

export function runCommandLines(config: Config, buildkit: boolean): string[] {
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

export function codeStageLines(project: ProjectFacts, buildkit: boolean): string[] {
  // Everything except .cog/ (scratch and the build kit), the weights, which have their own layers, copies of cogts
  // (the image has its own runtime), and the npm manifests, which come pruned from the build kit.
  const npmFiles = project.hasPackageJson ? ["package.json", "package-lock.json", "npm-shrinkwrap.json"] : [];
  const excludes = [".cog", ...project.weights, ...(project.sdkCopies ?? []), ...npmFiles]
    .map((p) => `--exclude=${shellQuote(`./${p}`)}`)
    .join(" ");
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
  steps.forEach((step, i) =>
    lines.push(`    ${i === 0 ? "" : "&& "}${step}${i < steps.length - 1 || !buildkit ? " \\" : ""}`),
  );
  if (!buildkit) lines.push("    && rm -rf /context");
  return lines;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function environmentLines(config: Config): string[] {
  if (config.environment.length === 0) return [];
  const pairs = config.environment.map((entry) => {
    const eq = entry.indexOf("=");
    return [entry.slice(0, eq), entry.slice(eq + 1)] as const;
  });
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [`ENV ${pairs.map(([name, value]) => `${name}=${envValue(value)}`).join(" ")}`];
}

/**
 * The end of every image, TypeScript or Python: the predictor names the server reads, the entrypoint, then (except
 * for a model base, whose code is mounted) the code stage's files and the schema, last because they change most.
 */
export function imageTailLines(config: Config, hasSchema: boolean, modelBase: boolean): string[] {
  const lines: string[] = [];
  if (config.predict) lines.push(`ENV COG_PREDICT_TYPE_STUB=${envValue(config.predict)}`);
  if (config.train) lines.push(`ENV COG_TRAIN_TYPE_STUB=${envValue(config.train)}`);
  if (config.concurrency) lines.push(`ENV COG_MAX_CONCURRENCY=${config.concurrency.max}`);
  lines.push(`ENTRYPOINT ${jsonArray(INIT_COMMAND)}`, `CMD ${jsonArray(SERVER_COMMAND)}`);
  if (modelBase) return lines;
  lines.push("COPY --from=code /src/ /src/");
  if (hasSchema) lines.push(`COPY ${BUILD_DIR}/openapi_schema.json /src/.cog/openapi_schema.json`);
  return lines;
}
