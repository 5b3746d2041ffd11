import type { Command } from "../command.js";
import { configFileOption } from "../command.js";
import { NotAvailableError } from "../../errors.js";

export const schemaCommand: Command = {
  name: "schema",
  summary: "Print the OpenAPI schema of the predictor, derived statically",
  usage: "cog schema [flags]",
  options: { ...configFileOption },

  async run() {
    throw new NotAvailableError("schema", "it lands with the schema issue");
  },
};
