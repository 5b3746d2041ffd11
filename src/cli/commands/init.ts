import type { Command } from "../command.js";

export const initCommand: Command = {
  name: "init",
  summary: "Configure your project for use with Cog",
  usage: "cog init",
  description: "Writes cog.yaml, predict.ts, package.json, tsconfig.json and .dockerignore into the current directory; refuses to overwrite any of them.",
  options: {},

  async run(ctx) {
    const { existsSync, writeFileSync } = await import("node:fs");
    const path = await import("node:path");
    const { UserError } = await import("../../errors.js");
    const { initTemplates } = await import("../../build/init-templates.js");
    const name = path.basename(path.resolve(ctx.cwd)).toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+/, "") || "model";
    const files = initTemplates(name, ctx.cwd);
    const existing = Object.keys(files).filter((file) => existsSync(path.join(ctx.cwd, file)));
    if (existing.length > 0) {
      throw new UserError("cog init would overwrite files that already exist:", existing.map((file) => `${file} already exists: move it away or edit it by hand`));
    }
    ctx.stdout.write("\nSetting up the current directory for use with cogts...\n\n");
    for (const [file, text] of Object.entries(files)) {
      writeFileSync(path.join(ctx.cwd, file), text, { flag: "wx" });
      ctx.stdout.write(`✅ Created ${path.join(ctx.cwd, file)}\n`);
    }
    ctx.stdout.write("\nDone! Try it with `cog run --no-docker -i prompt=hi`, then build an image with `cog build`.\n");
    return 0;
  },
};
