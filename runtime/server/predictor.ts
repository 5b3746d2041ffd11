/** Where the predictor lives and how its inputs map to arguments, from the ref and the OpenAPI schema. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { ParameterPlan } from "../protocol/index.js";

/**
 * `predict.ts:Predictor` → the module file to import and the class name. In an image the build compiled the
 * TypeScript beside its source (`predict.ts` → `predict.js`, `.mts` → `.mjs`), so the compiled file is used when
 * it exists; `preferTypeScript` (no-docker runs) loads the source through the TypeScript loader hook instead.
 */
export function resolvePredictorRef(
  ref: string,
  cwd: string,
  preferTypeScript: boolean,
): { modulePath: string; className: string } {
  const colon = ref.lastIndexOf(":");
  if (colon <= 0 || colon === ref.length - 1) {
    throw new Error(
      `the predictor reference ${JSON.stringify(ref)} must look like FILE:Class, e.g. predict.ts:Predictor`,
    );
  }
  const file = resolve(cwd, ref.slice(0, colon));
  const className = ref.slice(colon + 1);
  const compiled = file.replace(/\.ts$/, ".js").replace(/\.mts$/, ".mjs");
  if (compiled !== file && !preferTypeScript && existsSync(compiled)) return { modulePath: compiled, className };
  return { modulePath: file, className };
}

type Schema = Record<string, unknown>;

function deref(schema: Schema, components: Record<string, Schema>): Schema {
  if (typeof schema.$ref === "string") return components[schema.$ref.split("/").pop()!] ?? {};
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1)
    return { ...deref(schema.allOf[0] as Schema, components), ...schema };
  return schema;
}

/** Input properties in `x-order`, each with how the worker should wrap it (Path, Secret) and fill it when omitted. */
export function parameterPlan(openapi: Schema | undefined, component: string): ParameterPlan[] {
  const components = ((openapi?.components as Schema | undefined)?.schemas ?? {}) as Record<string, Schema>;
  const input = components[component];
  if (!input) return [];
  const properties = (input.properties ?? {}) as Record<string, Schema>;
  const required = new Set(Array.isArray(input.required) ? (input.required as string[]) : []);
  return Object.entries(properties)
    .map(([name, raw], position) => ({
      name,
      raw,
      order: typeof raw["x-order"] === "number" ? raw["x-order"] : position,
    }))
    .sort((a, b) => a.order - b.order)
    .map(({ name, raw }) => {
      const property = deref(raw, components);
      const array = property.type === "array";
      const element = array ? deref((property.items ?? {}) as Schema, components) : property;
      const kind: ParameterPlan["kind"] =
        element["x-cog-secret"] === true
          ? "secret"
          : element.type === "string" && element.format === "uri"
            ? "path"
            : "plain";
      const nullWhenMissing = raw.nullable === true && !required.has(name) && !("default" in raw);
      return { name, kind, array, nullWhenMissing };
    });
}
