import { parseArgs } from "node:util";
import { COGTS_VERSION } from "../version.js";
import { UserError, UsageError } from "../errors.js";
import type { Command, CommandContext, OptionValues, Options } from "./command.js";
import { commands } from "./commands/index.js";
import { explainUnknownFlag } from "./unknown-flag.js";

function findCommand(name: string): Command | undefined {
  return commands.find((c) => c.name === name || c.aliases?.includes(name));
}

export function formatCommandList(): string {
  const visible = commands.filter((c) => !c.hidden);
  const width = Math.max(...visible.map((c) => c.name.length)) + 2;
  const lines = visible.map((c) => `  ${c.name.padEnd(width)}${c.summary}`);
  return [
    "cogts: containers for machine learning, with TypeScript predictors (Cog-compatible).",
    "",
    "Usage:",
    "  cog [command]",
    "",
    "Available Commands:",
    ...lines,
    "",
    "Flags:",
    "      --debug      Show debugging output",
    "  -h, --help       help for cog",
    "      --no-color   Disable colored output",
    "      --version    show version of cogts",
    "",
    'Use "cog [command] --help" for more information about a command.',
    "",
  ].join("\n");
}

export function formatCommandHelp(cmd: Command): string {
  const rows = Object.entries(cmd.options).map(([long, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : "    "}--${long}${spec.type === "string" ? ` ${spec.valueName ?? "string"}` : ""}`;
    const def =
      spec.default !== undefined &&
      spec.default !== false &&
      !(Array.isArray(spec.default) && spec.default.length === 0)
        ? ` (default ${JSON.stringify(spec.default)})`
        : "";
    return [flag, `${spec.description}${def}`] as const;
  });
  rows.push(["-h, --help", `help for ${cmd.name}`]);
  const globalRows = GLOBAL_FLAGS.map((g) => [`    ${g.flag}`, g.description] as const);
  const width = Math.max(...rows.map(([f]) => f.length)) + 3;
  return [
    cmd.description ?? cmd.summary,
    "",
    "Usage:",
    `  ${cmd.usage}`,
    ...(cmd.aliases?.length ? ["", "Aliases:", `  ${[cmd.name, ...cmd.aliases].join(", ")}`] : []),
    "",
    "Flags:",
    ...rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`),
    "",
    "Global Flags:",
    ...globalRows.map(([f, d]) => `  ${f.padEnd(width)}${d}`),
    "",
  ].join("\n");
}

/** Cog's persistent flags, accepted before or after any command. */
const GLOBAL_FLAGS = [
  { flag: "--debug", description: "Show debugging output" },
  { flag: "--no-color", description: "Disable colored output" },
] as const;

/**
 * Takes Cog's global flags out of the arguments (wherever they are before a `--`): `--debug` shows more (the
 * stack of an error, the server's debug logs), `--no-color` turns colour off for cogts and what it runs (NO_COLOR).
 */
export function takeGlobalFlags(argv: string[]): { args: string[]; debug: boolean; noColor: boolean } {
  const dashdash = argv.indexOf("--");
  const own = dashdash === -1 ? argv : argv.slice(0, dashdash);
  const after = dashdash === -1 ? [] : argv.slice(dashdash);
  const isDebug = (a: string) => a === "--debug" || a === "--debug=true";
  const isNoColor = (a: string) => a === "--no-color" || a === "--no-color=true";
  return {
    args: [
      ...own.filter((a) => !isDebug(a) && !isNoColor(a) && a !== "--debug=false" && a !== "--no-color=false"),
      ...after,
    ],
    debug: own.some(isDebug),
    noColor: own.some(isNoColor),
  };
}

/** Runs the CLI and returns the process exit code: 0 ok, 1 user error, 2 usage error. */
export async function main(
  argv: string[],
  io: Pick<CommandContext, "stdout" | "stderr" | "cwd"> = {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
  },
): Promise<number> {
  const globals = takeGlobalFlags(argv);
  if (globals.debug) process.env.COGTS_DEBUG = "1";
  if (globals.noColor) process.env.NO_COLOR = "1";
  const [first, ...restArgs] = globals.args;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    if (first === "help" && restArgs[0]) {
      const cmd = findCommand(restArgs[0]);
      if (cmd) {
        io.stdout.write(formatCommandHelp(cmd));
        return 0;
      }
    }
    io.stdout.write(formatCommandList());
    return first === undefined ? 0 : 0;
  }
  if (first === "--version" || first === "-v" || first === "version") {
    io.stdout.write(`cog version ${COGTS_VERSION} (cogts)\n`);
    return 0;
  }
  const cmd = findCommand(first);
  if (!cmd) {
    io.stderr.write(`Error: unknown command "${first}" for "cog"\nRun 'cog --help' for usage.\n`);
    return 2;
  }
  const { own, rest } = splitArguments(cmd, restArgs);
  if (own.includes("-h") || own.includes("--help")) {
    io.stdout.write(formatCommandHelp(cmd));
    return 0;
  }
  try {
    const ctx = parseCommandLine(cmd, own, rest, io);
    return await cmd.run(first === cmd.name ? ctx : { ...ctx, invokedAs: first });
  } catch (err) {
    return reportError(err, io.stderr, cmd, globals.debug);
  }
}

/**
 * The command's own arguments and the ones it passes on: those after `--`, and for a command that runs another
 * (`cog exec CMD ARGS…`) everything from the first free argument on, so that CMD's flags stay CMD's (as Cog's
 * `cog exec`, pflag with interspersed flags off).
 */
export function splitArguments(cmd: Command, args: string[]): { own: string[]; rest: string[] } {
  const dashdash = args.indexOf("--");
  const end = dashdash === -1 ? args.length : dashdash;
  if (cmd.commandAfterFlags) {
    const byShort = new Map(
      Object.entries(cmd.options)
        .filter(([, spec]) => spec.short)
        .map(([long, spec]) => [spec.short!, long]),
    );
    for (let i = 0; i < end; i++) {
      const token = args[i]!;
      if (token === "-" || !token.startsWith("-")) return { own: args.slice(0, i), rest: args.slice(i) };
      const long = token.startsWith("--") ? token.slice(2) : token.length === 2 ? byShort.get(token[1]!) : undefined;
      // A string flag written apart from its value (`-e K=V`, `--env K=V`) takes the next argument with it.
      if (long !== undefined && !long.includes("=") && cmd.options[long]?.type === "string") i++;
    }
  }
  return { own: args.slice(0, end), rest: dashdash === -1 ? [] : args.slice(dashdash + 1) };
}

function parseCommandLine(
  cmd: Command,
  own: string[],
  rest: string[],
  io: Pick<CommandContext, "stdout" | "stderr" | "cwd">,
): CommandContext {
  let parsed;
  try {
    parsed = parseArgs({
      args: own,
      options: Object.fromEntries(
        Object.entries(cmd.options).map(([k, s]) => [
          k,
          {
            type: s.type,
            ...(s.short ? { short: s.short } : {}),
            ...(s.multiple ? { multiple: true } : {}),
            ...(s.default !== undefined ? { default: s.default } : {}),
          },
        ]),
      ) as never,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    const unknown =
      (err as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
        ? /'([^']+)'/.exec((err as Error).message)?.[1]
        : undefined;
    if (unknown) throw new UsageError(explainUnknownFlag(cmd, unknown));
    throw new UsageError(`${(err as Error).message}\nRun 'cog ${cmd.name} --help' for usage.`);
  }
  const positionals = parsed.positionals;
  const p = cmd.positionals;
  if (!p && positionals.length > 0)
    throw new UsageError(
      `cog ${cmd.name} takes no arguments, got "${positionals[0]}".\nRun 'cog ${cmd.name} --help' for usage.`,
    );
  if (p?.min !== undefined && positionals.length < p.min)
    throw new UsageError(`cog ${cmd.name} needs ${p.name}.\nUsage: ${cmd.usage}`);
  if (p?.max !== undefined && positionals.length > p.max)
    throw new UsageError(
      `cog ${cmd.name} takes at most ${p.max} argument(s), got ${positionals.length}.\nUsage: ${cmd.usage}`,
    );
  // parseArgs types its values from the specs it is given, which are only known at run time here.
  return { options: parsed.values as OptionValues<Options>, positionals, rest, ...io };
}

function reportError(err: unknown, stderr: NodeJS.WritableStream, cmd: Command, debug = false): number {
  if (err instanceof UserError) {
    stderr.write(`Error: ${err.message}\n`);
    for (const p of err.problems) stderr.write(`  ${p}\n`);
    // --debug: where in cogts the error was raised, and what caused it.
    if (debug)
      stderr.write(
        `${err.stack ?? ""}\n${err.cause ? `Caused by: ${(err.cause as Error).stack ?? String(err.cause)}\n` : ""}`,
      );
    return err.exitCode;
  }
  stderr.write(`Error: cog ${cmd.name} failed unexpectedly. This is a bug in cogts; please report it.\n`);
  stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}
