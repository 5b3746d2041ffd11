import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/index.js";
import { generateSchema } from "./index.js";
import { PACKAGE_ROOT } from "../version.js";

/** The predictors the server tests (test/server) run. */
const FIXTURES = join(PACKAGE_ROOT, "fixtures", "predictors");

/** The server tests read each fixture's openapi.json; it must be what `cog build` would bake into the image. */
describe("fixture predictor schemas", () => {
  for (const name of readdirSync(FIXTURES)) {
    it(`${name}/openapi.json matches generateSchema's inputs, enums and streaming flag`, async () => {
      const dir = join(FIXTURES, name);
      const config = await loadConfig(dir);
      const generated = await generateSchema({ dir, predict: config.predict, train: config.train });
      const stored = JSON.parse(readFileSync(join(dir, "openapi.json"), "utf8")) as typeof generated;
      const pick = (doc: typeof generated) => {
        const schemas = (doc.components as { schemas: Record<string, { enum?: unknown }> }).schemas;
        const paths = doc.paths as Record<string, { post?: Record<string, unknown> }>;
        return {
          components: Object.fromEntries(
            Object.entries(schemas).filter(
              ([key, value]) => key === "Input" || key === "TrainingInput" || key === "Output" || value.enum,
            ),
          ),
          streaming: paths["/predictions"]?.post?.["x-cog-streaming"] ?? false,
        };
      };
      expect(pick(stored)).toEqual(pick(generated));
    });
  }
});
