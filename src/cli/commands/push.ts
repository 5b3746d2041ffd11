import type { Command } from "../command.js";
import { configFileOption } from "../command.js";
import { NotAvailableError } from "../../errors.js";

export const pushCommand: Command = {
  name: "push",
  summary: "Build and push model in current directory to a Docker registry",
  usage: "cog push [IMAGE] [flags]",
  options: { ...configFileOption },
  positionals: { max: 1, name: "IMAGE" },
  async run() {
    throw new NotAvailableError("push", "it lands with the registry issue");
  },
};
