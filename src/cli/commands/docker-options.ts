/**
 * Flags shared by the commands that build the image (`build`, `push`, `debug`) and those that start a container of
 * it (`run`, `serve`, `exec`), declared once, and what they become: a build request, the image to run, GPUs.
 */
import { isIP } from "node:net";
import type Docker from "dockerode";
import { UsageError } from "../../errors.js";
import type { Options } from "../command.js";
import type { BuildRequest, Project } from "../../model/index.js";

/** `--secret` as on `cog build`, also for the commands that build before they run (`run`, `serve`, `exec`). */
export const buildSecretOption = {
  secret: {
    type: "string",
    multiple: true,
    valueName: "id=NAME,src=PATH",
    description: "Secrets to pass to the build environment",
  },
} as const satisfies Options;

export const progressOption = {
  progress: {
    type: "string",
    default: "auto",
    valueName: "MODE",
    description: "Build progress: auto, plain, tty or quiet",
  },
} as const satisfies Options;

export const baseImageMirrorOption = {
  "base-image-mirror": {
    type: "string",
    valueName: "HOST",
    description:
      "Registry with copies of the Docker Hub base images (Docker Hub layout); default $COGTS_BASE_IMAGE_MIRROR",
  },
} as const satisfies Options;

/** `-e` and `--gpus` of the commands that start a container. */
export const containerOptions = {
  env: {
    type: "string",
    short: "e",
    multiple: true,
    valueName: "NAME=VALUE",
    description: "Environment variables for the container, in the form name=value",
  },
  gpus: {
    type: "string",
    valueName: "GPUS",
    description:
      "GPU devices to add to the container, in the same format as `docker run --gpus` (default all when gpu: true)",
  },
} as const satisfies Options;

/** Flags of the commands that build the image and start a container of it (`run`, `serve`, `exec`). */
export const dockerRunOptions = {
  ...buildSecretOption,
  ...containerOptions,
  ...progressOption,
  ...baseImageMirrorOption,
} as const satisfies Options;

/** The flags a build request is made of; each command has the subset that makes sense for it. */
export interface BuildFlags {
  tag?: string;
  secret?: string[];
  "no-cache"?: boolean;
  progress?: string;
  "base-image-mirror"?: string;
  "openapi-schema"?: string;
  "skip-schema-validation"?: boolean;
}

/** The build request the flags of `build`, `push`, `run`, `serve` and `exec` describe (absent flags leave the build's defaults). */
export async function buildRequestFromFlags(
  flags: BuildFlags,
  project: Project,
  out: NodeJS.WritableStream,
  docker?: Docker,
): Promise<BuildRequest> {
  const { parseProgressMode } = await import("../../docker/index.js");
  return {
    project,
    tag: flags.tag,
    secrets: flags.secret ?? [],
    noCache: flags["no-cache"] === true,
    progress: parseProgressMode(flags.progress),
    mirror: flags["base-image-mirror"],
    openapiSchemaFile: flags["openapi-schema"],
    skipSchemaValidation: flags["skip-schema-validation"] === true,
    out,
    docker,
  };
}

/** `--gpus` when given, else all GPUs for a model whose cog.yaml says `gpu: true`. */
export function gpusFor(flag: string | undefined, gpu: boolean): string | undefined {
  return flag ?? (gpu ? "all" : undefined);
}

/** `--setup-timeout SECONDS` (Cog's default 300; 0 waits for ever). */
export function parseSetupTimeout(value: string | undefined): number {
  const seconds = Number(value ?? 300);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new UsageError(`--setup-timeout must be a number of seconds, not ${String(value)}`);
  return seconds;
}

/** `--host`: an IP address of this machine to listen on (0.0.0.0 for every interface). */
export function parseHost(value: string | undefined): string {
  const host = value ?? "127.0.0.1";
  if (host === "localhost") return "127.0.0.1";
  if (!isIP(host))
    throw new UsageError(
      `--host must be an IP address such as 127.0.0.1 (this machine only) or 0.0.0.0 (every interface), not ${host}`,
    );
  return host;
}

/** `--port`/`-p` of a server: a port number, 0 allowed only where `allowZero` (a free port). */
export function parsePort(value: string | undefined, { allowZero = false } = {}): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535)
    throw new UsageError(`--port must be a port number, not ${String(value)}`);
  return port;
}

/** The image `cog run`/`cog exec` use: the one named on the command line (pulled when the engine lacks it), else the project built now. */
export async function imageToRun(
  ctx: { cwd: string; stderr: NodeJS.WritableStream; options: BuildFlags & { file: string } },
  docker: Docker,
  imageArg: string | undefined,
): Promise<{ image: string; schema?: Record<string, unknown>; gpu: boolean }> {
  if (imageArg) {
    if ((ctx.options.secret ?? []).length > 0)
      throw new UsageError(`--secret is for building the project, and ${imageArg} is an image that is already built`);
    let info = await docker
      .getImage(imageArg)
      .inspect()
      .catch(() => undefined);
    if (!info) {
      // As `docker run` and Cog do: an image the engine does not have is pulled from its registry.
      const { pullImage } = await import("../../docker/index.js");
      await pullImage(docker, imageArg, ctx.stderr);
      info = await docker.getImage(imageArg).inspect();
    }
    const labels = info.Config?.Labels ?? {};
    const schemaText = labels["run.cog.openapi_schema"];
    const config = labels["run.cog.config"]
      ? (JSON.parse(labels["run.cog.config"]) as { build?: { gpu?: boolean } })
      : {};
    return {
      image: imageArg,
      schema: schemaText ? (JSON.parse(schemaText) as Record<string, unknown>) : undefined,
      gpu: config.build?.gpu === true,
    };
  }
  const { buildModel, loadProject } = await import("../../model/index.js");
  const project = await loadProject(ctx.cwd, ctx.options.file);
  const built = await buildModel(await buildRequestFromFlags(ctx.options, project, ctx.stderr, docker));
  return { image: built.tag, schema: built.schema as Record<string, unknown> | undefined, gpu: built.config.build.gpu };
}
