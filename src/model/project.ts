/**
 * The model project a command works on: its directory, the config file it names and the validated config, loaded
 * once per command and handed to the build, the local server and the predictor client (as Cog's `model.Source`).
 */
import type { Config } from "../config/index.js";

export interface Project {
  /** The project directory: where the config file is, found from the working directory upwards. */
  dir: string;
  /** The config file's name, relative to `dir` (or absolute), as `-f/--file` gave it. */
  configFile: string;
  /** The validated config, with what `cog run`/`cog build` need checked (loadConfigToRun). */
  config: Config;
}

/** The directory `configFile` belongs to: the nearest one from `cwd` upwards that holds it, else `cwd`. */
export async function findProject(cwd: string, configFile = "cog.yaml"): Promise<string> {
  const { findProjectDir } = await import("../config/index.js");
  return findProjectDir(cwd, configFile) ?? cwd;
}

/** Finds the project around `cwd` and loads its config. Throws UserError with file:line problems. */
export async function loadProject(cwd: string, configFile = "cog.yaml"): Promise<Project> {
  const { loadConfigToRun } = await import("../config/index.js");
  const dir = await findProject(cwd, configFile);
  return { dir, configFile, config: await loadConfigToRun(dir, configFile) };
}
