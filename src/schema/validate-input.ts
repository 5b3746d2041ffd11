/** Checks that an input's options agree with its type and with each other, as Cog's build does. */
import type { Node, ParameterDeclaration, TypeNode } from "ts-morph";
import { schemaMessages, type SchemaErrorCode } from "./errors.js";
import type { InputField, InputType, JsonValue } from "./model.js";
import type { SourceSet } from "./source-files.js";

export function validateInputField(
  field: InputField,
  parameter: ParameterDeclaration,
  typeNode: TypeNode,
  sources: SourceSet,
): void {
  const at: Node = parameter.getInitializer() ?? parameter.getNameNode();
  checkInputField(field, typeNode.getText(), (code, message, where) =>
    sources.report(where === "type" ? typeNode : at, code, message),
  );
}

/**
 * The checks themselves, independent of the source language: `report` says whether a problem is best shown at the
 * type annotation or at the default/Input(...) (the Python reader uses this too).
 */
export function checkInputField(
  field: InputField,
  typeText: string,
  report: (code: SchemaErrorCode, message: string, where: "type" | "value") => void,
  messages: Pick<
    typeof schemaMessages,
    | "choicesWithLiteralUnion"
    | "badOptionValue"
    | "acceptOnNonPath"
    | "defaultWrongType"
    | "defaultOutOfRange"
    | "defaultNotInChoices"
  > = schemaMessages,
): void {
  const { name, type } = field;

  if (field.choices && type.kind === "literals") {
    report("COGTS_SCHEMA_CHOICES_WITH_LITERAL_UNION", messages.choicesWithLiteralUnion(name), "type");
    return;
  }
  if (field.choices && !choicesFit(field.choices, type)) {
    report(
      "COGTS_SCHEMA_BAD_OPTION_VALUE",
      messages.badOptionValue("choices", `an array of values of the input's type (${typeText})`),
      "value",
    );
    return;
  }
  if (field.accept !== undefined && !isPathType(type)) {
    report("COGTS_SCHEMA_ACCEPT_ON_NON_PATH", messages.acceptOnNonPath(name, typeText), "value");
  }

  const value = field.default?.value;
  if (value === undefined || value === null) return;
  if (!matchesType(value, type)) {
    report("COGTS_SCHEMA_DEFAULT_WRONG_TYPE", messages.defaultWrongType(name, value, typeText), "value");
    return;
  }
  if (typeof value === "number") {
    if (field.ge !== undefined && value < field.ge) {
      report("COGTS_SCHEMA_DEFAULT_OUT_OF_RANGE", messages.defaultOutOfRange(name, value, "ge", field.ge), "value");
    }
    if (field.le !== undefined && value > field.le) {
      report("COGTS_SCHEMA_DEFAULT_OUT_OF_RANGE", messages.defaultOutOfRange(name, value, "le", field.le), "value");
    }
  }
  const allowed = field.choices ?? (type.kind === "literals" ? type.values : undefined);
  if (allowed && (typeof value === "string" || typeof value === "number") && !allowed.includes(value)) {
    report("COGTS_SCHEMA_DEFAULT_NOT_IN_CHOICES", messages.defaultNotInChoices(name, value, allowed), "value");
  }
}

function isPathType(type: InputType): boolean {
  if (type.kind === "primitive") return type.primitive === "path";
  return type.kind === "array" && isPathType(type.items);
}

function choicesFit(choices: (string | number)[], type: InputType): boolean {
  if (type.kind !== "primitive") return false;
  if (type.primitive === "string") return choices.every((c) => typeof c === "string");
  if (type.primitive === "integer") return choices.every((c) => typeof c === "number" && Number.isInteger(c));
  if (type.primitive === "number") return choices.every((c) => typeof c === "number");
  return false;
}

function matchesType(value: JsonValue, type: InputType): boolean {
  switch (type.kind) {
    case "literals":
      return typeof value === "string" || typeof value === "number";
    case "array":
      return Array.isArray(value) && value.every((item) => matchesType(item, type.items));
    case "union":
      return type.variants.some((variant) => matchesType(value, variant));
    case "primitive":
      switch (type.primitive) {
        case "string":
        case "path":
        case "secret":
          return typeof value === "string";
        case "number":
          return typeof value === "number";
        case "integer":
          return typeof value === "number" && Number.isInteger(value);
        case "boolean":
          return typeof value === "boolean";
        case "object":
          return typeof value === "object" && value !== null && !Array.isArray(value);
      }
  }
  return false;
}
