import type { Command } from "../command.js";
import { configFileOption } from "../command.js";
import { NotAvailableError } from "../../errors.js";

export const execCommand: Command = {
  name: "exec",
  summary: "Execute a command inside a Docker environment",
  usage: "cog exec [flags] -- <command> [arg...]",
  options: { ...configFileOption },
  positionals: { name: "command" },
  async run() {
    throw new NotAvailableError("exec", "it lands with the build issue");
  },
};
