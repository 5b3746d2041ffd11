/**
 * The internal model between the TypeScript syntax and the OpenAPI JSON: reading a predictor produces these,
 * and `openapi.ts` formats them. Keeping the two steps apart lets each be tested and changed alone.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type Primitive = "string" | "number" | "integer" | "boolean" | "path" | "secret" | "object";

export type InputType =
  | { kind: "primitive"; primitive: Primitive }
  | { kind: "array"; items: InputType }
  /** A JSON-native union, rendered as anyOf. */
  | { kind: "union"; variants: InputType[] }
  /** A union of literals (`"a" | "b"`): rendered like `choices`. */
  | { kind: "literals"; values: (string | number)[] };

export interface InputField {
  name: string;
  type: InputType;
  /** `?`, `| null` or `| undefined` on the parameter. */
  nullable: boolean;
  /** Absent when the parameter has no default (or `undefined`). */
  default?: { value: JsonValue };
  description?: string;
  ge?: number;
  le?: number;
  minLength?: number;
  maxLength?: number;
  regex?: string;
  choices?: (string | number)[];
  deprecated?: boolean;
  accept?: string;
  /**
   * Cog's Python rule: a nullable union or list input without a default stays required (`A | B | None`,
   * `Optional[list[T]]`); only a plain `Optional[T]` may be left out. Set by the Python reader.
   */
  requiredWithoutDefault?: boolean;
}

export type OutputType =
  | { kind: "primitive"; primitive: Exclude<Primitive, "secret"> }
  | { kind: "any" }
  | { kind: "array"; items: OutputType }
  | { kind: "dict"; values: OutputType }
  | { kind: "object"; fields: OutputField[] }
  | { kind: "iterator"; items: OutputType; concatenate: boolean };

export interface OutputField {
  name: string;
  type: OutputType;
  /** Not in `required`. */
  optional: boolean;
  /** `nullable: true`; when absent, an optional field is nullable (TypeScript's `?`). */
  nullable?: boolean;
}

export interface PredictorInfo {
  mode: "predict" | "train";
  inputs: InputField[];
  output: OutputType;
  /**
   * Python's `@cog.streaming` (Cog 0.22 marks `x-cog-streaming` only under it). Absent for TypeScript, where an
   * iterator output is what declares streaming.
   */
  streaming?: boolean;
}
