import type { Command } from "../command.js";
import { configFileOption } from "../command.js";
import { NotAvailableError } from "../../errors.js";

export const loginCommand: Command = {
  name: "login",
  summary: "Log in to a container registry",
  usage: "cog login [REGISTRY] [flags]",
  options: { ...configFileOption },
  positionals: { max: 1, name: "REGISTRY" },
  async run() {
    throw new NotAvailableError("login", "it lands with the registry issue");
  },
};
