/** The shape every `cog` command shares. Command files parse flags and call module entry points; nothing else. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  default?: string | boolean | string[];
  /** Shown in `--help`. */
  description: string;
  /** Placeholder for the value in `--help`, e.g. `FILE`. */
  valueName?: string;
}

export interface CommandContext {
  /** Parsed flags, keyed by long name. */
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Arguments after a literal `--` (for `cog exec -- CMD …`). */
  rest: string[];
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
}

export interface Command {
  name: string;
  aliases?: string[];
  /** One line for the command list. */
  summary: string;
  /** e.g. `cog build [flags]`. */
  usage: string;
  /** Longer text for `cog CMD --help`. */
  description?: string;
  options: Record<string, OptionSpec>;
  /** Whether free arguments are accepted, and how many at most (undefined: any number). */
  positionals?: { min?: number; max?: number; name: string };
  /** The first free argument starts a command of its own, whose flags are not this command's (`cog exec`). */
  commandAfterFlags?: boolean;
  /** Hidden from the command list (like Cog's `debug`), still callable. */
  hidden?: boolean;
  /** Returns the exit code. Throws UserError/UsageError for failures. */
  run(ctx: CommandContext): Promise<number>;
}

/** The `-f/--file` flag every command that reads cog.yaml takes, as in Cog. */
export const configFileOption: Record<string, OptionSpec> = {
  file: { type: "string", short: "f", default: "cog.yaml", valueName: "FILE", description: "The name of the config file" },
};
