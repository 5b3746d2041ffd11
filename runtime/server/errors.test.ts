import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { httpErrors, type ErrorReply } from "./errors.js";

const ROOT = join(import.meta.dirname, "..", "..");
const load = (name: string) => JSON.parse(readFileSync(join(ROOT, "schemas", name), "utf8")) as Record<string, unknown>;
const ajv = new Ajv({ strict: false });
ajv.addSchema(load("http-error.schema.json"), "http-error");
ajv.addSchema(load("validation-error.schema.json"), "validation-error");

/** One example of each entry, with plausible arguments. */
const examples: ErrorReply[] = [
  httpErrors.notReady(),
  httpErrors.atCapacity(),
  httpErrors.duplicateId("abc"),
  httpErrors.idMismatch("prediction"),
  httpErrors.invalidInput([{ loc: ["body", "input", "text"], msg: "Field required", type: "value_error.missing" }]),
  httpErrors.wrongMode("predictions", "trainings", "--x-mode train"),
  httpErrors.modelNotStreaming(),
  httpErrors.trainingNotStreaming(),
  httpErrors.tooManySubscribers(),
  httpErrors.notFound(),
  httpErrors.methodNotAllowed(["GET"]),
  httpErrors.schemaNotAvailable(),
  httpErrors.badPercentEncoding(),
  httpErrors.cancelUnknown(),
  httpErrors.invalidJson("Unexpected token"),
  httpErrors.bodyNotObject(),
  httpErrors.bodyShape("too deep"),
  httpErrors.bodyTooManyValues("too many values"),
  httpErrors.bodyTooLarge(100),
  httpErrors.bodiesOverBudget(),
  httpErrors.notJsonFromPage(),
  httpErrors.notJson("text/plain"),
  httpErrors.internal(),
];

describe("the error catalogue", () => {
  it("has an example here for every entry, each named by its own code", () => {
    expect(examples.map((e) => e.code).sort()).toEqual(Object.keys(httpErrors).sort());
  });

  it.each(examples.map((e) => [e.code, e] as const))("%s matches its schema definition", (_code, entry) => {
    if (entry.schema === "unlisted") return;
    const ref = entry.schema === "validation" ? "validation-error" : `http-error#/definitions/${entry.schema}`;
    const validate = ajv.getSchema(ref)!;
    expect(validate(entry.body), JSON.stringify(validate.errors)).toBe(true);
    // The whole schema's anyOf takes it too (the definition picked by status code).
    if (entry.schema !== "validation") expect(ajv.getSchema("http-error")!(entry.body)).toBe(true);
  });

  it("keeps the statuses clients rely on", () => {
    const status = Object.fromEntries(examples.map((e) => [e.code, e.status]));
    expect(status).toMatchObject({
      notReady: 503,
      atCapacity: 409,
      duplicateId: 409,
      idMismatch: 422,
      invalidInput: 422,
      modelNotStreaming: 406,
      notFound: 404,
      methodNotAllowed: 405,
      schemaNotAvailable: 503,
      cancelUnknown: 404,
      invalidJson: 400,
      bodyTooLarge: 413,
      notJson: 415,
      internal: 500,
    });
  });

  it("names the allowed methods of a 405 and asks a temporary 413 to retry", () => {
    expect(httpErrors.methodNotAllowed(["POST", "PUT"]).headers).toEqual({ allow: "POST, PUT" });
    expect(httpErrors.bodiesOverBudget().headers).toEqual({ connection: "close", "retry-after": "1" });
    expect(httpErrors.bodyTooLarge(10).headers).toEqual({ connection: "close" });
  });

  it("only the 500 of a server bug and the wrong --x-mode 404 are outside the schema file", () => {
    expect(examples.filter((e) => e.schema === "unlisted").map((e) => e.code)).toEqual(["wrongMode", "internal"]);
  });
});
