/**
 * What to say about a flag a command does not have: whether it is a flag of Cog 0.22's command of that name that
 * cogts leaves out (and what to do instead), or a likely typo of one it has.
 */
import type { Command } from "./command.js";

const BUILDING = ["build", "push", "run", "predict", "serve", "exec", "train"];
const ALL = ["build", "push", "run", "predict", "serve", "exec", "train", "init", "login", "debug", "doctor"];

/** Cog 0.22 flags (pkg/cli) that cogts does not take, the commands that have them in Cog, and what to do instead. */
const COG_FLAGS: Record<string, { commands: string[]; instead: string }> = {
  "use-cuda-base-image": {
    commands: BUILDING,
    instead:
      "cogts picks the base image from cog.yaml itself (nvidia/cuda for gpu: true, else a slim image): leave the flag out",
  },
  "use-cog-base-image": {
    commands: BUILDING,
    instead: "cogts has no prebuilt Cog base images and builds on the public ones: leave the flag out",
  },
  dockerfile: {
    commands: ["build", "push", "run", "predict", "exec", "train"],
    instead:
      "cogts writes the Dockerfile from cog.yaml (print it with `cog debug`); for a hand-written one use `docker build`",
  },
  "separate-weights": {
    commands: ["build", "push"],
    instead:
      "cogts already gives large files their own layer below the code, so a code change does not re-upload weights: leave the flag out",
  },
  timestamp: { commands: ["build"], instead: "cogts does not rewrite layer timestamps: leave the flag out" },
  strip: { commands: ["build", "push"], instead: "cogts does not strip shared libraries: leave the flag out" },
  precompile: { commands: ["build", "push"], instead: "cogts does not precompile Python files: leave the flag out" },
  "use-replicate-token": {
    commands: ["run", "predict", "train"],
    instead: "pass the token explicitly: -e REPLICATE_API_TOKEN=$REPLICATE_API_TOKEN",
  },
  registry: { commands: ALL, instead: "set COG_REGISTRY_HOST instead" },
  profile: { commands: ALL, instead: "leave the flag out" },
};

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The message for `flag` (as typed: `--json`, `--json=x`, `-x`) given to `cmd`, which does not have it. */
export function explainUnknownFlag(cmd: Command, flag: string): string {
  const help = `Run 'cog ${cmd.name} --help' for its flags.`;
  const name = flag.replace(/^--?/, "").replace(/=.*$/, "");
  const cog = flag.startsWith("--") ? COG_FLAGS[name] : undefined;
  if (cog && cog.commands.includes(cmd.name))
    return `--${name} is a flag of Cog's cog ${cmd.name} that cogts does not have: ${cog.instead}.`;
  if (flag.startsWith("--")) {
    const closest = Object.keys(cmd.options)
      .map((option) => ({ option, d: distance(name, option) }))
      .filter(({ d }) => d <= Math.max(2, Math.floor(name.length / 3)))
      .sort((x, y) => x.d - y.d)[0];
    if (closest) return `unknown flag --${name} for cog ${cmd.name}. Did you mean --${closest.option}? ${help}`;
  }
  return `unknown flag ${flag.replace(/=.*$/, "")} for cog ${cmd.name}. ${help}`;
}
