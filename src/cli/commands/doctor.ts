import type { Command } from "../command.js";
import { configFileOption } from "../command.js";
import { NotAvailableError } from "../../errors.js";

export const doctorCommand: Command = {
  name: "doctor",
  summary: "Check cog.yaml, the predictor and the Docker engine, and print every problem",
  usage: "cog doctor [flags]",
  options: { ...configFileOption },

  async run() {
    throw new NotAvailableError("doctor", "it lands with the config issue");
  },
};
