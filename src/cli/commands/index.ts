import type { Command } from "../command.js";
import { initCommand } from "./init.js";
import { buildCommand } from "./build.js";
import { pushCommand } from "./push.js";
import { runCommand } from "./run.js";
import { serveCommand } from "./serve.js";
import { execCommand } from "./exec.js";
import { loginCommand } from "./login.js";
import { debugCommand } from "./debug.js";
import { schemaCommand } from "./schema.js";
import { doctorCommand } from "./doctor.js";
import { playgroundCommand } from "./playground.js";
import { trainCommand } from "./train.js";

/** Every `cog` command, in the order `cog --help` lists them. */
export const commands: Command[] = [
  buildCommand,
  debugCommand,
  doctorCommand,
  execCommand,
  initCommand,
  loginCommand,
  playgroundCommand,
  pushCommand,
  runCommand,
  schemaCommand,
  serveCommand,
  trainCommand,
];
