/**
 * The schema reader on function predictors and object/union inputs, beyond the goldens of fixtures/schema/: a
 * re-exported function, a train function, what is reported when neither a class nor a function has the name.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { generateSchema } from "./index.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "cogts-schema-forms-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

type Schemas = Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
const schemasOf = async (options: Parameters<typeof generateSchema>[0]) =>
  ((await generateSchema(options)) as { components: { schemas: Schemas } }).components.schemas;

async function problemsOf(options: Parameters<typeof generateSchema>[0]): Promise<string[]> {
  try {
    await generateSchema(options);
  } catch (error) {
    if (error instanceof UserError) return error.problems;
    throw error;
  }
  return [];
}

describe("function predictors", () => {
  it("reads a function re-exported from another file", async () => {
    const dir = project({
      "model.ts": `export async function predict(text: string, n: number = 2): Promise<string> { return text.repeat(n); }\n`,
      "predict.ts": `export { predict } from "./model.js";\n`,
    });
    const schemas = await schemasOf({ dir, predict: "predict.ts:predict" });
    expect(schemas.Input!.properties).toEqual({
      text: { title: "Text", type: "string", "x-order": 0 },
      n: { default: 2, title: "N", type: "number", "x-order": 1 },
    });
    expect(schemas.Input!.required).toEqual(["text"]);
  });

  it("reads a train function and a function expression bound to a const", async () => {
    const dir = project({
      "train.ts": `import { Path } from "cogts";\nexport const train = async function (steps: number): Promise<Path> { return new Path("/tmp/w"); };\n`,
    });
    const schemas = await schemasOf({ dir, train: "train.ts:train" });
    expect(Object.keys(schemas.TrainingInput!.properties!)).toEqual(["steps"]);
  });

  it("says what to write when neither a class nor a function has the name, and asks a function for its return type", async () => {
    const missing = project({ "predict.ts": `export class Model {}\n` });
    expect((await problemsOf({ dir: missing, predict: "predict.ts:predict" }))[0]).toContain(
      "no class or function predict in predict.ts (classes here: Model; write `export class predict extends BasePredictor { … }` or `export async function predict(…) { … }`",
    );
    const untyped = project({ "predict.ts": `export const run = async (x: string) => x;\n` });
    expect((await problemsOf({ dir: untyped, predict: "predict.ts:run" }))[0]).toContain(
      "run() has no return type annotation",
    );
  });
});

describe("object inputs in unions", () => {
  it("takes an object type as a member of a JSON-native union", async () => {
    const dir = project({
      "predict.ts": `interface Tool { name: string }\nexport async function predict(tool: string | Tool): Promise<string> { return JSON.stringify(tool); }\n`,
    });
    const schemas = await schemasOf({ dir, predict: "predict.ts:predict" });
    expect(schemas.Input!.properties!.tool).toEqual({
      anyOf: [{ type: "string" }, { type: "object" }],
      title: "Tool",
      "x-order": 0,
    });
  });
});
