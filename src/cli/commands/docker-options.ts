import { isIP } from "node:net";
import type Docker from "dockerode";
import { UsageError } from "../../errors.js";
import type { CommandContext, OptionSpec } from "../command.js";
import type { BuildRequest } from "../../build/index.js";

/** `--secret` as on `cog build`, for the commands that build before they run (`run`, `serve`, `exec`). */
export const buildSecretOption: Record<string, OptionSpec> = {
  secret: { type: "string", multiple: true, valueName: "id=NAME,src=PATH", description: "Secrets to pass to the build environment (as cog build --secret)" },
};

/** Flags of the commands that build the image and start a container of it (`run`, `serve`). */
export const dockerRunOptions: Record<string, OptionSpec> = {
  ...buildSecretOption,
  env: { type: "string", short: "e", multiple: true, valueName: "NAME=VALUE", description: "Environment variables for the container, in the form name=value" },
  gpus: { type: "string", valueName: "GPUS", description: "GPU devices to add to the container, in the same format as `docker run --gpus` (default all when gpu: true)" },
  progress: { type: "string", default: "auto", valueName: "MODE", description: "Build progress: auto, plain, tty or quiet" },
  "base-image-mirror": { type: "string", valueName: "HOST", description: "Registry with copies of the Docker Hub base images; default $COGTS_BASE_IMAGE_MIRROR" },
};

/**
 * The build request the flags of `build`, `push`, `run`, `serve` and `exec` describe (each command has the
 * subset of flags that makes sense for it; absent flags leave the build's defaults).
 */
export async function buildRequestFromFlags(ctx: CommandContext, docker?: Docker): Promise<BuildRequest> {
  const { findProjectDir } = await import("../../config/index.js");
  const { baseImageMirror } = await import("../../build/index.js");
  const { parseProgressMode } = await import("../../docker/progress.js");
  const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
  const file = str(ctx.options.file) ?? "cog.yaml";
  return {
    dir: findProjectDir(ctx.cwd, file) ?? ctx.cwd,
    configFile: file,
    tag: str(ctx.options.tag),
    secrets: Array.isArray(ctx.options.secret) ? ctx.options.secret : [],
    noCache: ctx.options["no-cache"] === true,
    progress: parseProgressMode(str(ctx.options.progress)),
    mirror: baseImageMirror(str(ctx.options["base-image-mirror"])),
    openapiSchemaFile: str(ctx.options["openapi-schema"]),
    skipSchemaValidation: ctx.options["skip-schema-validation"] === true,
    out: ctx.stderr,
    docker,
  };
}

/** `--setup-timeout SECONDS` (Cog's default 300; 0 waits for ever). */
export function parseSetupTimeout(value: unknown): number {
  const seconds = Number(value ?? 300);
  if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError(`--setup-timeout must be a number of seconds, not ${String(value)}`);
  return seconds;
}

/** `--host`: an IP address of this machine to listen on (0.0.0.0 for every interface). */
export function parseHost(value: unknown): string {
  const host = typeof value === "string" ? value : "127.0.0.1";
  if (host === "localhost") return "127.0.0.1";
  if (!isIP(host)) throw new UsageError(`--host must be an IP address such as 127.0.0.1 (this machine only) or 0.0.0.0 (every interface), not ${host}`);
  return host;
}
