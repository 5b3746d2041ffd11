import { defineCommand } from "../command.js";

export const initCommand = defineCommand({
  name: "init",
  summary: "Configure your project for use with Cog",
  usage: "cog init",
  description:
    "Writes cog.yaml, predict.ts, package.json, tsconfig.json and .dockerignore into the current directory. " +
    "A file that exists is skipped, never overwritten; an existing package.json only gains what the project " +
    'lacks to run ("type": "module" where no CommonJS file needs otherwise, and the cogts dependency), each change listed.',
  options: {},

  async run(ctx) {
    const { initProject } = await import("../init/index.js");
    ctx.stdout.write("\nSetting up the current directory for use with cogts...\n\n");
    const { files, dependenciesChanged } = await initProject(ctx.cwd);
    for (const { file, action, changes = [] } of files) {
      const line = {
        created: `✅ Created ${file}`,
        updated: `✏️  Updated ${file}:`,
        skipped: `⏭️  Skipped existing ${file}`,
      }[action];
      ctx.stdout.write(`${line}${action === "skipped" && changes.length > 0 ? ":" : ""}\n`);
      for (const change of changes) ctx.stdout.write(`     ${change}\n`);
    }
    if (files.every(({ action, changes = [] }) => action === "skipped" && changes.length === 0)) {
      ctx.stdout.write("\nNothing written: the project already has every file cog init writes.\n");
    }
    const createdPredictor = files.some(({ file, action }) => file === "predict.ts" && action === "created");
    const next = [
      ...(dependenciesChanged ? [["npm install", "installs what package.json lists"]] : []),
      ["cog doctor --no-docker", "checks cog.yaml, the predictor and its types"],
      createdPredictor
        ? ["cog run --no-docker -i prompt=hi", "runs a prediction on this machine"]
        : ["cog run --no-docker -i NAME=VALUE", "runs a prediction on this machine (cog schema lists the inputs)"],
      ["cog build", "builds the image"],
    ];
    const width = Math.max(...next.map(([command]) => command!.length));
    ctx.stdout.write("\nDone! Next:\n");
    for (const [command, what] of next) ctx.stdout.write(`  ${command!.padEnd(width)}  # ${what}\n`);
    return 0;
  },
});
