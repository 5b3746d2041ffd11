import { configFileOption, defineCommand } from "../command.js";
import { baseImageMirrorOption } from "./docker-options.js";

export const debugCommand = defineCommand({
  name: "debug",
  summary: "Generate a Dockerfile from cog.yaml",
  usage: "cog debug [flags]",
  description:
    "Prints the Dockerfile `cog build` would build (for BuildKit; --classic for engines without it), and for a Python model the requirements it installs. Needs no engine.",
  hidden: true,
  options: {
    ...configFileOption,
    ...baseImageMirrorOption,
    classic: { type: "boolean", description: "The variant for the classic builder (no RUN --mount)" },
  },

  async run(ctx) {
    const { loadProject, prepareBuild } = await import("../../model/index.js");
    const project = await loadProject(ctx.cwd, ctx.options.file);
    const prepared = await prepareBuild(
      { project, mirror: ctx.options["base-image-mirror"] },
      ctx.options.classic !== true,
    );
    ctx.stdout.write(prepared.dockerfile);
    // A Python model: the requirements the image installs (index URLs, pins), as comments so stdout stays a Dockerfile.
    const requirements = prepared.pythonRequirements;
    if (requirements) {
      const text = [
        ".cog/build/requirements.txt, installed from /tmp/requirements.txt:",
        ...requirements.text.trimEnd().split("\n"),
        ...requirements.notes.map((note) => `note: ${note}`),
      ];
      ctx.stdout.write(`\n${text.map((line) => `# ${line}`).join("\n")}\n`);
    }
    return 0;
  },
});
