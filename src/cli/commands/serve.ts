import type { Command } from "../command.js";
import { configFileOption } from "../command.js";
import { NotAvailableError } from "../../errors.js";

export const serveCommand: Command = {
  name: "serve",
  summary: "Run a prediction HTTP server",
  usage: "cog serve [flags]",
  options: { ...configFileOption },

  async run() {
    throw new NotAvailableError("serve", "it lands with the server and build issues");
  },
};
