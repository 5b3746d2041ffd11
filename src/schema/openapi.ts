/**
 * Formats the schema model as the OpenAPI document Cog 0.22 emits (docs/spec/cog-contract.md §5), key order included:
 * Go marshals plain maps with sorted keys and keeps insertion order only for `paths`, `components.schemas` and the
 * `properties` of Input and of output objects.
 */
import type { InputField, InputType, JsonValue, OutputType, PredictorInfo } from "./model.js";
import { titleCase } from "./title.js";

export type JsonObject = { [key: string]: JsonValue };

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: JsonObject;
  components: { schemas: JsonObject };
  [key: string]: JsonValue;
}

/** Objects whose key order is meaningful (and kept); every other object is emitted with sorted keys. */
type Ordered = JsonObject & { readonly __ordered?: true };
const ordered = new WeakSet<object>();
function orderedObject(): Ordered {
  const object: Ordered = {};
  ordered.add(object);
  return object;
}

const ref = (name: string): JsonObject => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: JsonObject): JsonObject => ({ "application/json": { schema } });

export function buildDocument(info: PredictorInfo, version: string): OpenApiDocument {
  const train = info.mode === "train";
  const names = train
    ? {
        endpoint: "/trainings",
        request: "TrainingRequest",
        response: "TrainingResponse",
        input: "TrainingInput",
        output: "TrainingOutput",
        summary: "Train",
        description: "Run a single training on the model",
        operationId: "train_trainings_post",
        cancel: "/trainings/{training_id}/cancel",
        cancelOperationId: "cancel_trainings__training_id__cancel_post",
        idParam: "training_id",
      }
    : {
        endpoint: "/predictions",
        request: "PredictionRequest",
        response: "PredictionResponse",
        input: "Input",
        output: "Output",
        summary: "Predict",
        description: "Run a single prediction on the model",
        operationId: "predict_predictions_post",
        cancel: "/predictions/{prediction_id}/cancel",
        cancelOperationId: "cancel_predictions__prediction_id__cancel_post",
        idParam: "prediction_id",
      };

  const { input, enums } = inputSchema(info.inputs, names.input);
  const schemas = orderedObject();
  schemas[names.input] = input;
  schemas[names.output] = { ...outputSchema(info.output), title: "Output" };
  for (const [name, schema] of enums) schemas[name] = schema;
  schemas[names.request] = {
    title: names.request,
    type: "object",
    properties: { id: { title: "Id", type: "string" }, input: ref(names.input) },
  };
  schemas[names.response] = {
    title: names.response,
    type: "object",
    properties: {
      input: ref(names.input),
      output: ref(names.output),
      id: { title: "Id", type: "string" },
      version: { title: "Version", type: "string" },
      created_at: { title: "Created At", type: "string", format: "date-time" },
      started_at: { title: "Started At", type: "string", format: "date-time" },
      completed_at: { title: "Completed At", type: "string", format: "date-time" },
      status: { title: "Status", type: "string" },
      error: { title: "Error", type: "string" },
      logs: { title: "Logs", type: "string" },
      metrics: { title: "Metrics", type: "object" },
    },
  };
  schemas.Status = {
    title: "Status",
    description: "An enumeration.",
    enum: ["starting", "processing", "succeeded", "canceled", "failed"],
    type: "string",
  };
  schemas.HTTPValidationError = {
    title: "HTTPValidationError",
    type: "object",
    properties: { detail: { title: "Detail", type: "array", items: ref("ValidationError") } },
  };
  schemas.ValidationError = {
    title: "ValidationError",
    required: ["loc", "msg", "type"],
    type: "object",
    properties: {
      loc: { title: "Location", type: "array", items: { anyOf: [{ type: "string" }, { type: "integer" }] } },
      msg: { title: "Message", type: "string" },
      type: { title: "Error Type", type: "string" },
    },
  };

  const emptyOk = { description: "Successful Response", content: jsonContent({}) };
  const validationError = { description: "Validation Error", content: jsonContent(ref("HTTPValidationError")) };
  const paths = orderedObject();
  paths["/"] = { get: { summary: "Root", operationId: "root__get", responses: { 200: emptyOk } } };
  paths["/health-check"] = {
    get: { summary: "Healthcheck", operationId: "healthcheck_health_check_get", responses: { 200: emptyOk } },
  };
  const operation: JsonObject = {
    summary: names.summary,
    description: names.description,
    operationId: names.operationId,
    requestBody: { content: jsonContent(ref(names.request)) },
    responses: {
      200: { description: "Successful Response", content: jsonContent(ref(names.response)) },
      422: validationError,
    },
  };
  // Cog 0.22 marks streaming only under @cog.streaming. A TypeScript predictor has no decorator; our server
  // streams (SSE) every iterator output, so an iterator output is what declares streaming support.
  if (!train && (info.streaming ?? info.output.kind === "iterator")) operation["x-cog-streaming"] = true;
  paths[names.endpoint] = { post: operation };
  paths[names.cancel] = {
    post: {
      summary: "Cancel",
      operationId: names.cancelOperationId,
      parameters: [
        {
          required: true,
          schema: { title: titleCase(names.idParam), type: "string" },
          name: names.idParam,
          in: "path",
        },
      ],
      responses: { 200: emptyOk, 422: validationError },
    },
  };

  return cogKeyOrder({
    openapi: "3.0.2",
    info: { title: "Cog", version },
    paths,
    components: { schemas },
  }) as OpenApiDocument;
}

/** Predict and train in one document: the union of both, predict's entries winning where names clash. */
export function mergeDocuments(predict: OpenApiDocument, train: OpenApiDocument): OpenApiDocument {
  const paths = orderedObject();
  Object.assign(paths, train.paths, predict.paths);
  const orderedPaths = orderedObject();
  for (const key of [...Object.keys(predict.paths), ...Object.keys(train.paths)]) orderedPaths[key] = paths[key]!;
  const schemas = orderedObject();
  for (const key of [...Object.keys(predict.components.schemas), ...Object.keys(train.components.schemas)]) {
    schemas[key] = predict.components.schemas[key] ?? train.components.schemas[key]!;
  }
  return cogKeyOrder({ ...predict, paths: orderedPaths, components: { schemas } }) as OpenApiDocument;
}

function inputSchema(inputs: InputField[], title: string): { input: JsonObject; enums: [string, JsonObject][] } {
  const properties = orderedObject();
  const required: string[] = [];
  const enums: [string, JsonObject][] = [];
  inputs.forEach((field, order) => {
    const property: JsonObject = { "x-order": order };
    const choices = field.choices ?? (field.type.kind === "literals" ? field.type.values : undefined);
    if (choices) {
      enums.push([
        field.name,
        {
          title: field.name,
          description: "An enumeration.",
          enum: choices,
          type: enumType(field.type, choices),
        },
      ]);
      property.allOf = [ref(field.name)];
    } else {
      property.title = titleCase(field.name);
      Object.assign(property, inputTypeSchema(field.type, field.nullable));
    }
    const isSecret = field.type.kind === "primitive" && field.type.primitive === "secret";
    const defaultIsNull = field.default?.value === null;
    // `Secret = Input({ default: null })` is Cog's idiom for an optional credential.
    const nullable = field.nullable || (isSecret && defaultIsNull);
    // A null default on a type that cannot be null is no default: the input is required (Cog's rule).
    const hasDefault = field.default !== undefined && !(defaultIsNull && !nullable);
    if (!hasDefault && (!nullable || field.requiredWithoutDefault)) required.push(field.name);
    if (hasDefault) property.default = field.default!.value;
    if (nullable) property.nullable = true;
    if (field.description !== undefined) property.description = field.description;
    if (field.ge !== undefined) property.minimum = field.ge;
    if (field.le !== undefined) property.maximum = field.le;
    if (field.minLength !== undefined) property.minLength = field.minLength;
    if (field.maxLength !== undefined) property.maxLength = field.maxLength;
    if (field.regex !== undefined) property.pattern = field.regex;
    if (field.deprecated) property.deprecated = true;
    if (field.accept !== undefined) property["x-cog-accept"] = field.accept;
    properties[field.name] = property;
  });
  const input: JsonObject = { title, type: "object", properties };
  if (required.length > 0) input.required = required;
  return { input, enums };
}

function enumType(type: InputType, values: (string | number)[]): string {
  if (type.kind === "primitive" && type.primitive !== "string") return type.primitive;
  if (values.every((v) => typeof v === "string")) return "string";
  return values.every((v) => Number.isInteger(v)) ? "integer" : "number";
}

function primitiveSchema(primitive: string): JsonObject {
  switch (primitive) {
    case "path":
      return { type: "string", format: "uri" };
    case "secret":
      return { type: "string", format: "password", writeOnly: true, "x-cog-secret": true };
    default:
      return { type: primitive };
  }
}

function inputTypeSchema(type: InputType, nullable: boolean): JsonObject {
  switch (type.kind) {
    case "primitive":
      return primitiveSchema(type.primitive);
    case "array":
      return { type: "array", items: inputTypeSchema(type.items, false) };
    case "literals":
      return { type: typeof type.values[0] === "string" ? "string" : "number", enum: type.values };
    case "union":
      // Cog marks every variant of a nullable union nullable too.
      return {
        anyOf: type.variants.map((variant) => ({
          ...inputTypeSchema(variant, false),
          ...(nullable ? { nullable: true } : {}),
        })),
      };
  }
}

function outputSchema(type: OutputType): JsonObject {
  switch (type.kind) {
    case "primitive":
      return primitiveSchema(type.primitive);
    case "any":
      return { type: "object" };
    case "array":
      return { type: "array", items: outputSchema(type.items) };
    case "dict":
      return { type: "object", additionalProperties: outputSchema(type.values) };
    case "iterator":
      return {
        type: "array",
        items: outputSchema(type.items),
        "x-cog-array-type": "iterator",
        ...(type.concatenate ? { "x-cog-array-display": "concatenate" } : {}),
      };
    case "object": {
      const properties = orderedObject();
      const required: string[] = [];
      for (const field of type.fields) {
        properties[field.name] = {
          ...outputSchema(field.type),
          title: titleCase(field.name),
          ...((field.nullable ?? field.optional) ? { nullable: true } : {}),
        };
        if (!field.optional) required.push(field.name);
      }
      return { type: "object", properties, ...(required.length ? { required } : {}) };
    }
  }
}

/** A copy with Cog's key order: sorted, except in the objects marked ordered. */
function cogKeyOrder(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(cogKeyOrder);
  if (value === null || typeof value !== "object") return value;
  const keys = ordered.has(value) ? Object.keys(value) : Object.keys(value).sort();
  const result: JsonObject = {};
  if (ordered.has(value)) ordered.add(result);
  for (const key of keys) result[key] = cogKeyOrder(value[key]!);
  return result;
}
