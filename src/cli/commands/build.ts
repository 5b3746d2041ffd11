import type { Command } from "../command.js";
import { configFileOption } from "../command.js";
import { NotAvailableError } from "../../errors.js";

export const buildCommand: Command = {
  name: "build",
  summary: "Build an image from cog.yaml",
  usage: "cog build [flags]",
  options: { ...configFileOption },

  async run() {
    throw new NotAvailableError("build", "it lands with the build issue");
  },
};
