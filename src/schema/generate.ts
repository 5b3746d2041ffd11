/** The ts-morph half of `generateSchema`, loaded lazily so that importing `src/schema` stays cheap. */
import { UserError } from "../errors.js";
import { COGTS_VERSION } from "../version.js";
import type { PredictorInfo } from "./model.js";
import { buildDocument, mergeDocuments, type OpenApiDocument } from "./openapi.js";
import { readPredictor } from "./read-predictor.js";
import { SourceSet } from "./source-files.js";
import type { SchemaProject } from "./index.js";

export interface GeneratedSchema {
  document: OpenApiDocument;
  /** Absolute paths of every source file read, for the cache. */
  filesRead: string[];
}

export function generateWithTsMorph(project: SchemaProject): GeneratedSchema {
  const sources = new SourceSet(project.dir);
  const configFile = project.configFile ?? "cog.yaml";
  let predict: PredictorInfo | undefined;
  let train: PredictorInfo | undefined;
  if (!project.predict && !project.train) {
    throw new UserError(`${configFile} names no predictor (add \`run: "predict.ts:Predictor"\` to it)`);
  }
  if (project.predict)
    predict = readPredictor(sources, project.predict, "predict", {
      file: configFile,
      ...(project.refPositions?.predict ?? { line: 1, column: 1 }),
    });
  if (project.train)
    train = readPredictor(sources, project.train, "train", {
      file: configFile,
      ...(project.refPositions?.train ?? { line: 1, column: 1 }),
    });
  if (sources.problems.length > 0) {
    const count = sources.problems.length;
    throw new UserError(
      `cannot generate the OpenAPI schema: ${count} problem${count === 1 ? "" : "s"} in the predictor`,
      sources.formattedProblems(),
    );
  }
  const predictDocument = predict && buildDocument(predict, COGTS_VERSION);
  const trainDocument = train && buildDocument(train, COGTS_VERSION);
  const document =
    predictDocument && trainDocument
      ? mergeDocuments(predictDocument, trainDocument)
      : (predictDocument ?? trainDocument)!;
  return { document, filesRead: sources.filesRead };
}
