import type { Command } from "../command.js";
import { configFileOption } from "../command.js";
import { NotAvailableError } from "../../errors.js";

export const runCommand: Command = {
  name: "run",
  summary: "Run a prediction",
  usage: "cog run [image] [flags]",
  options: { ...configFileOption },
  aliases: ["predict"], positionals: { max: 1, name: "image" },
  async run() {
    throw new NotAvailableError("run", "it lands with the server and build issues");
  },
};
