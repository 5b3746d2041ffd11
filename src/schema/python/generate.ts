/** The Python half of `generateSchema`: the same model and OpenAPI formatter as for TypeScript, read by tree-sitter. */
import { UserError } from "../../errors.js";
import { COGTS_VERSION } from "../../version.js";
import type { GeneratedSchema } from "../generate.js";
import type { SchemaProject } from "../index.js";
import type { PredictorInfo } from "../model.js";
import { buildDocument, mergeDocuments } from "../openapi.js";
import { PyProject } from "./modules.js";
import { pythonParser } from "./parser.js";
import { readPythonPredictor } from "./read-predictor.js";

export async function generateFromPython(project: SchemaProject): Promise<GeneratedSchema> {
  const py = new PyProject(project.dir, await pythonParser());
  const configFile = project.configFile ?? "cog.yaml";
  const at = (which: "predict" | "train") => ({
    file: configFile,
    ...(project.refPositions?.[which] ?? { line: 1, column: 1 }),
  });
  const predict: PredictorInfo | undefined = project.predict
    ? readPythonPredictor(py, project.predict, "predict", at("predict"))
    : undefined;
  const train: PredictorInfo | undefined = project.train
    ? readPythonPredictor(py, project.train, "train", at("train"))
    : undefined;
  if (py.problems.length > 0) {
    const count = py.problems.length;
    throw new UserError(
      `cannot generate the OpenAPI schema: ${count} problem${count === 1 ? "" : "s"} in the predictor`,
      py.formattedProblems(),
    );
  }
  const predictDocument = predict && buildDocument(predict, COGTS_VERSION);
  const trainDocument = train && buildDocument(train, COGTS_VERSION);
  const document =
    predictDocument && trainDocument
      ? mergeDocuments(predictDocument, trainDocument)
      : (predictDocument ?? trainDocument)!;
  return { document, filesRead: py.filesRead };
}
