/**
 * cog.yaml keys Cog 0.22 accepts that cogts checks (so a valid file stays valid) but cannot act on yet. Commands
 * that build or run the project refuse them at their `cog.yaml:LINE:COL` rather than build something else.
 */
import type { Config } from "./types.js";

export function unsupportedKeyProblems(
  config: Config,
  locate: (path: (string | number)[], at: "key") => string,
): string[] {
  const problems: string[] = [];
  if (config.weights?.length) {
    // Cog 0.20+: managed weights, imported with `cog weights import` into weights.lock and pushed beside the image.
    problems.push(
      `${locate(["weights"], "key")}: weights (Cog's managed weights, imported with \`cog weights import\` and pushed beside the image) ` +
        "are not supported by cogts: put the weight files in the project, where the build gives large files their own layer, " +
        "or download them in setup(); then delete weights.",
    );
  }
  if (config.model) {
    // Cog 0.20+: `model` makes `cog push` a bundle push (an OCI index of the image and its managed weights).
    problems.push(
      `${locate(["model"], "key")}: model (the repository of a Cog bundle push, image plus managed weights) is not supported by cogts: ` +
        `rename model to image (\`image: ${config.model}\`) to build and push a plain image.`,
    );
  }
  return problems;
}
