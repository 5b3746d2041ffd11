import { configFileOption, defineCommand } from "../command.js";

export const doctorCommand = defineCommand({
  name: "doctor",
  summary: "Check cog.yaml, the predictor, its TypeScript and the Docker engine, and print every problem",
  usage: "cog doctor [flags]",
  description: [
    "Check cog.yaml, the predictor and the Docker engine, and print every problem with file:line and a fix.",
    "The project's own TypeScript is type-checked as tsc would with its tsconfig.json (cogts's defaults without one);",
    "files in node_modules are not. Results are cached in .cog/ until a file they depend on changes.",
    "Exits 1 when something is wrong, 0 when all is well.",
  ].join("\n"),
  options: {
    ...configFileOption,
    "no-docker": {
      type: "boolean",
      default: false,
      description: "Do not check the Docker engine (for projects run with cog run --no-docker)",
    },
  },

  async run(ctx) {
    const { runDoctor } = await import("../../doctor/index.js");
    const findings = await runDoctor({
      dir: ctx.cwd,
      file: ctx.options.file,
      checkEngine: ctx.options["no-docker"] !== true,
    });
    const label = { ok: "ok     ", note: "note   ", problem: "PROBLEM" } as const;
    for (const finding of findings) ctx.stdout.write(`${label[finding.status]} ${finding.message}\n`);
    const problems = findings.filter((f) => f.status === "problem").length;
    ctx.stdout.write(
      problems === 0
        ? "\nNo problems found.\n"
        : `\n${problems} problem${problems === 1 ? "" : "s"} found: fix ${problems === 1 ? "it" : "them"} and run cog doctor again.\n`,
    );
    return problems === 0 ? 0 : 1;
  },
});
