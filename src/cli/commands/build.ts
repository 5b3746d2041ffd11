import { configFileOption, defineCommand, type CommandContext } from "../command.js";
import { baseImageMirrorOption, buildRequestFromFlags, buildSecretOption, progressOption } from "./docker-options.js";

/**
 * The type check of `cog build` and `cog push` (both have --skip-typecheck), run before the engine is asked for
 * anything: a type error found here costs no build.
 */
export async function typecheckUnlessSkipped(
  ctx: CommandContext<{ "skip-typecheck"?: boolean }>,
  dir: string,
  configFile?: string,
): Promise<void> {
  if (ctx.options["skip-typecheck"] === true) return;
  const { requireTypecheck } = await import("../../doctor/index.js");
  for (const note of await requireTypecheck(dir, configFile)) ctx.stderr.write(`note: ${note}\n`);
}

/** The flags of `cog build` that `cog push` takes too. */
export const buildOptions = {
  ...configFileOption,
  ...buildSecretOption,
  "no-cache": { type: "boolean", description: "Do not use cache when building the image" },
  ...progressOption,
  ...baseImageMirrorOption,
  "openapi-schema": {
    type: "string",
    valueName: "FILE",
    description: "Load OpenAPI schema from a file instead of generating it",
  },
  "skip-schema-validation": { type: "boolean", description: "Do not generate or check the OpenAPI schema" },
  "skip-typecheck": {
    type: "boolean",
    description: "Build even if the project's TypeScript has type errors (cog doctor lists them)",
  },
} as const;

export const buildCommand = defineCommand({
  name: "build",
  summary: "Build an image from cog.yaml",
  usage: "cog build [flags]",
  description:
    "Builds the model's image through the Docker engine: cog.yaml and predict.ts become a Dockerfile (see `cog debug`), " +
    "built with BuildKit when the engine has it, labelled as Cog labels its images. " +
    "The project's TypeScript is type-checked first, as `cog doctor` does; --skip-typecheck builds despite type errors.",
  options: {
    ...configFileOption,
    tag: {
      type: "string",
      short: "t",
      valueName: "NAME",
      description: "A name for the built image in the form 'repository:tag'",
    },
    ...buildOptions,
  },

  async run(ctx) {
    const { buildModel, findProject, loadProject } = await import("../../model/index.js");
    await typecheckUnlessSkipped(ctx, await findProject(ctx.cwd, ctx.options.file), ctx.options.file);
    const project = await loadProject(ctx.cwd, ctx.options.file);
    const built = await buildModel(await buildRequestFromFlags(ctx.options, project, ctx.stderr));
    ctx.stderr.write(`\nImage built as ${built.tag}\n`);
    return 0;
  },
});
