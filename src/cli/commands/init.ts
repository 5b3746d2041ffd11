import type { Command } from "../command.js";
import { configFileOption } from "../command.js";
import { NotAvailableError } from "../../errors.js";

export const initCommand: Command = {
  name: "init",
  summary: "Configure your project for use with Cog",
  usage: "cog init",
  options: { ...configFileOption },

  async run() {
    throw new NotAvailableError("init", "it lands with the build issue");
  },
};
