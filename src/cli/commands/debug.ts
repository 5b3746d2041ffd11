import type { Command } from "../command.js";
import { configFileOption } from "../command.js";
import { NotAvailableError } from "../../errors.js";

export const debugCommand: Command = {
  name: "debug",
  summary: "Generate a Dockerfile from cog.yaml",
  usage: "cog debug [flags]",
  options: { ...configFileOption },

  async run() {
    throw new NotAvailableError("debug", "it lands with the build issue");
  },
};
