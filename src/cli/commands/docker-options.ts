import type { OptionSpec } from "../command.js";

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
