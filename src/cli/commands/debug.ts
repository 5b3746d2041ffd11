import type { Command } from "../command.js";
import { configFileOption } from "../command.js";

export const debugCommand: Command = {
  name: "debug",
  summary: "Generate a Dockerfile from cog.yaml",
  usage: "cog debug [flags]",
  description: "Prints the Dockerfile `cog build` would build (for BuildKit; --classic for engines without it), and for a Python model the requirements it installs. Needs no engine.",
  hidden: true,
  options: {
    ...configFileOption,
    "base-image-mirror": {
      type: "string",
      valueName: "HOST",
      description: "Registry with copies of the Docker Hub base images (Docker Hub layout); default $COGTS_BASE_IMAGE_MIRROR",
    },
    classic: { type: "boolean", description: "The variant for the classic builder (no RUN --mount)" },
  },

  async run(ctx) {
    const { prepareBuild, baseImageMirror } = await import("../../build/index.js");
    const { findProjectDir } = await import("../../config/index.js");
    const file = ctx.options.file as string;
    const prepared = await prepareBuild(
      {
        dir: findProjectDir(ctx.cwd, file) ?? ctx.cwd,
        configFile: file,
        mirror: baseImageMirror(ctx.options["base-image-mirror"] as string | undefined),
      },
      ctx.options.classic !== true,
    );
    ctx.stdout.write(prepared.dockerfile);
    // A Python model: the requirements the image installs (index URLs, pins), as comments so stdout stays a Dockerfile.
    const requirements = prepared.pythonRequirements;
    if (requirements) {
      const text = [".cog/build/requirements.txt, installed from /tmp/requirements.txt:", ...requirements.text.trimEnd().split("\n"), ...requirements.notes.map((note) => `note: ${note}`)];
      ctx.stdout.write(`\n${text.map((line) => `# ${line}`).join("\n")}\n`);
    }
    return 0;
  },
};
