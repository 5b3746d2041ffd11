/**
 * How the command line is split and what an unknown flag gets (no engine: `main` with captured output).
 * The same behaviour through bin/cog.js and a real container is in test/cli/user-mistakes.test.ts.
 */
import { describe, expect, it } from "vitest";
import { splitArguments } from "../../src/cli/main.js";
import { execCommand } from "../../src/cli/commands/exec.js";
import { buildCommand } from "../../src/cli/commands/build.js";
import { runCommand } from "../../src/cli/commands/run.js";
import { explainUnknownFlag } from "../../src/cli/unknown-flag.js";
import { runMain } from "../helpers/cli.js";

const cli = (args: string[]) => runMain(args, process.cwd());

describe("cog exec's command line", () => {
  it("gives everything from the command on to the command", () => {
    expect(splitArguments(execCommand, ["node", "-e", "console.log(42)"])).toEqual({
      own: [],
      rest: ["node", "-e", "console.log(42)"],
    });
    expect(
      splitArguments(execCommand, ["-e", "A=1", "--env", "B=2", "--env=C=3", "-p", "8000", "sh", "-c", "echo -e x"]),
    ).toEqual({
      own: ["-e", "A=1", "--env", "B=2", "--env=C=3", "-p", "8000"],
      rest: ["sh", "-c", "echo -e x"],
    });
    // `--` still separates, and a `--` after the command belongs to the command.
    expect(splitArguments(execCommand, ["--progress", "quiet", "--", "ls", "-la"])).toEqual({
      own: ["--progress", "quiet"],
      rest: ["ls", "-la"],
    });
    expect(splitArguments(execCommand, ["grep", "--", "-x"])).toEqual({ own: [], rest: ["grep", "--", "-x"] });
  });

  it("shows exec's help only for a -h before the command", async () => {
    expect((await cli(["exec", "-h"])).stdout).toContain("Usage:\n  cog exec");
    expect(splitArguments(execCommand, ["ls", "-h"]).own).toEqual([]);
  });

  it("leaves other commands' flags where they are, in any order", () => {
    expect(splitArguments(runCommand, ["my-image", "-i", "x=1"])).toEqual({ own: ["my-image", "-i", "x=1"], rest: [] });
  });
});

describe("flags a command does not have", () => {
  it("names the Cog flags cogts lacks and what to use instead", () => {
    expect(explainUnknownFlag(buildCommand, "--use-cog-base-image")).toMatch(
      /^--use-cog-base-image is a flag of Cog's cog build that cogts does not have: /,
    );
    expect(explainUnknownFlag(buildCommand, "--dockerfile=Dockerfile")).toContain("`cog debug`");
    expect(explainUnknownFlag(runCommand, "--use-replicate-token")).toContain("-e REPLICATE_API_TOKEN");
    // --json is Cog's on run (and cogts's), not on build: there it is only an unknown flag.
    expect(explainUnknownFlag(buildCommand, "--json")).toBe(
      "unknown flag --json for cog build. Run 'cog build --help' for its flags.",
    );
  });

  it("suggests the closest flag for a typo, and nothing far-fetched", () => {
    expect(explainUnknownFlag(runCommand, "--inputs")).toContain("Did you mean --input?");
    expect(explainUnknownFlag(buildCommand, "--no-cahce")).toContain("Did you mean --no-cache?");
    expect(explainUnknownFlag(buildCommand, "--verbose")).not.toContain("Did you mean");
    expect(explainUnknownFlag(buildCommand, "-x")).toBe(
      "unknown flag -x for cog build. Run 'cog build --help' for its flags.",
    );
  });

  it("exits 2 with that one line", async () => {
    const result = await cli(["build", "--use-cuda-base-image", "false"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^Error: --use-cuda-base-image is a flag of Cog's cog build/);
  });
});
