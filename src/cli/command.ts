/**
 * The shape every `cog` command shares. Command files parse flags and call module entry points; nothing else.
 * A command's option values are typed from its option declarations (defineCommand), so reading a flag needs no cast.
 */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  default?: string | boolean;
  /** Shown in `--help`. */
  description: string;
  /** Placeholder for the value in `--help`, e.g. `FILE`. */
  valueName?: string;
}

export type Options = Record<string, OptionSpec>;

type Scalar<T> = T extends "boolean" ? boolean : string;
/** The value node:util's parseArgs gives a flag that is present (or has a default); distributes over a general spec. */
type OptionValue<S extends OptionSpec> = S["multiple"] extends infer M
  ? M extends true
    ? Scalar<S["type"]>[]
    : Scalar<S["type"]>
  : never;
type WithDefault<O extends Options> = {
  [K in keyof O]: O[K] extends { default: string | boolean } ? K : never;
}[keyof O];

/** The parsed flags of a command with options `O`, keyed by long name: absent (undefined) unless the flag has a default. */
export type OptionValues<O extends Options> = { [K in WithDefault<O>]: OptionValue<O[K]> } & {
  [K in Exclude<keyof O, WithDefault<O>>]?: OptionValue<O[K]>;
};

export interface CommandContext<V = OptionValues<Options>> {
  /** Parsed flags, keyed by long name. */
  options: V;
  positionals: string[];
  /** Arguments after a literal `--` (for `cog exec -- CMD …`). */
  rest: string[];
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  /** The name the command was called by, when it was an alias (`predict` for `cog run`). */
  invokedAs?: string;
}

export interface Command<O extends Options = Options> {
  name: string;
  aliases?: string[];
  /** One line for the command list. */
  summary: string;
  /** e.g. `cog build [flags]`. */
  usage: string;
  /** Longer text for `cog CMD --help`. */
  description?: string;
  options: O;
  /** Whether free arguments are accepted, and how many at most (undefined: any number). */
  positionals?: { min?: number; max?: number; name: string };
  /** The first free argument starts a command of its own, whose flags are not this command's (`cog exec`). */
  commandAfterFlags?: boolean;
  /** Hidden from the command list (like Cog's `debug`), still callable. */
  hidden?: boolean;
  /** Returns the exit code. Throws UserError/UsageError for failures. */
  run(ctx: CommandContext<OptionValues<O>>): Promise<number>;
}

/** Declares a command, keeping its options' literal types so that `run` sees each flag's value type. */
export function defineCommand<const O extends Options>(command: Command<O>): Command<O> {
  return command;
}

/** The `-f/--file` flag every command that reads cog.yaml takes, as in Cog. */
export const configFileOption = {
  file: {
    type: "string",
    short: "f",
    default: "cog.yaml",
    valueName: "FILE",
    description: "The name of the config file",
  },
} as const satisfies Options;

/** `-i name=value` of `cog run` (and `cog train` in Cog). */
export const inputOption = {
  input: {
    type: "string",
    short: "i",
    multiple: true,
    valueName: "NAME=VALUE",
    description: "Input, as name=value; @path for a file",
  },
} as const satisfies Options;

/** `--no-docker` of the commands that can run the predictor on this machine. */
export const noDockerOption = {
  "no-docker": { type: "boolean", description: "Run the predictor on this machine instead of in a container" },
} as const satisfies Options;
