import type { Command, CommandContext } from "../command.js";
import { configFileOption } from "../command.js";
import { buildRequestFromFlags } from "./docker-options.js";

/**
 * The type check of `cog build` and `cog push` (both have --skip-typecheck), run before the engine is asked for
 * anything: a type error found here costs no build.
 */
export async function typecheckUnlessSkipped(ctx: CommandContext, dir: string, configFile?: string): Promise<void> {
  if (ctx.options["skip-typecheck"] === true) return;
  const { requireTypecheck } = await import("../../doctor/index.js");
  for (const note of await requireTypecheck(dir, configFile)) ctx.stderr.write(`note: ${note}\n`);
}

export const buildCommand: Command = {
  name: "build",
  summary: "Build an image from cog.yaml",
  usage: "cog build [flags]",
  description:
    "Builds the model's image through the Docker engine: cog.yaml and predict.ts become a Dockerfile (see `cog debug`), " +
    "built with BuildKit when the engine has it, labelled as Cog labels its images. " +
    "The project's TypeScript is type-checked first, as `cog doctor` does; --skip-typecheck builds despite type errors.",
  options: {
    ...configFileOption,
    tag: { type: "string", short: "t", valueName: "NAME", description: "A name for the built image in the form 'repository:tag'" },
    secret: { type: "string", multiple: true, valueName: "id=NAME,src=PATH", description: "Secrets to pass to the build environment" },
    "no-cache": { type: "boolean", description: "Do not use cache when building the image" },
    progress: { type: "string", default: "auto", valueName: "MODE", description: "Build progress: auto, plain, tty or quiet" },
    "base-image-mirror": {
      type: "string",
      valueName: "HOST",
      description: "Registry with copies of the Docker Hub base images (Docker Hub layout); default $COGTS_BASE_IMAGE_MIRROR",
    },
    "openapi-schema": { type: "string", valueName: "FILE", description: "Load OpenAPI schema from a file instead of generating it" },
    "skip-schema-validation": { type: "boolean", description: "Do not generate or check the OpenAPI schema" },
    "skip-typecheck": { type: "boolean", description: "Build even if the project's TypeScript has type errors (cog doctor lists them)" },
  },

  async run(ctx) {
    const { buildModel } = await import("../../build/index.js");
    const request = await buildRequestFromFlags(ctx);
    await typecheckUnlessSkipped(ctx, request.dir, request.configFile);
    const built = await buildModel(request);
    ctx.stderr.write(`\nImage built as ${built.tag}\n`);
    return 0;
  },
};
