/** Maps a predictor's return type to the output type (docs/spec/cog-contract.md §5.3, docs/spec/typescript.md "Outputs"). */
import type { TypeElementTypes, TypeNode } from "ts-morph";
import { Node, SyntaxKind } from "./ts-morph.js";
import { schemaMessages } from "./errors.js";
import type { OutputField, OutputType } from "./model.js";
import type { SourceSet } from "./source-files.js";
import { MAX_TYPE_DEPTH, resolveTypeReference } from "./type-names.js";

const ITERATOR_TYPES = new Set([
  "AsyncIterable",
  "AsyncIterableIterator",
  "AsyncGenerator",
  "AsyncIterator",
  "Iterable",
  "IterableIterator",
  "Generator",
  "Iterator",
]);

class OutputProblem extends Error {
  constructor(
    readonly node: Node,
    readonly code:
      | "COGTS_SCHEMA_UNSUPPORTED_OUTPUT_TYPE"
      | "COGTS_SCHEMA_OPTIONAL_OUTPUT"
      | "COGTS_SCHEMA_CONCATENATE_NOT_STRING"
      | "COGTS_SCHEMA_UNRESOLVED_TYPE",
    message: string,
  ) {
    super(message);
  }
}

/** Reads the return type (Promise unwrapped). Returns undefined after reporting the problem. */
export function readOutputType(returnType: TypeNode, sources: SourceSet): OutputType | undefined {
  try {
    return new OutputReader(sources).read(unwrapPromise(returnType, sources), 0, true);
  } catch (error) {
    if (!(error instanceof OutputProblem)) throw error;
    sources.report(error.node, error.code, error.message);
    return undefined;
  }
}

function unwrapPromise(node: TypeNode, sources: SourceSet): TypeNode {
  if (Node.isTypeReference(node) && node.getTypeArguments().length === 1) {
    const target = resolveTypeReference(node, sources);
    if (target?.kind === "global" && (target.name === "Promise" || target.name === "PromiseLike")) {
      return node.getTypeArguments()[0]!;
    }
  }
  return node;
}

class OutputReader {
  constructor(private readonly sources: SourceSet) {}

  read(node: TypeNode, depth: number, topLevel: boolean): OutputType {
    const unsupported = (why = ""): never => {
      throw new OutputProblem(
        node,
        "COGTS_SCHEMA_UNSUPPORTED_OUTPUT_TYPE",
        schemaMessages.unsupportedOutputType(node.getText(), why),
      );
    };
    if (depth > MAX_TYPE_DEPTH) unsupported("the type refers to itself");
    switch (node.getKind()) {
      case SyntaxKind.StringKeyword:
        return { kind: "primitive", primitive: "string" };
      case SyntaxKind.NumberKeyword:
        return { kind: "primitive", primitive: "number" };
      case SyntaxKind.BooleanKeyword:
        return { kind: "primitive", primitive: "boolean" };
      case SyntaxKind.UnknownKeyword:
      case SyntaxKind.AnyKeyword:
      case SyntaxKind.ObjectKeyword:
        return { kind: "any" };
    }
    if (Node.isParenthesizedTypeNode(node)) return this.read(node.getTypeNode(), depth + 1, topLevel);
    if (Node.isTypeOperatorTypeNode(node) && node.getOperator() === SyntaxKind.ReadonlyKeyword) {
      return this.read(node.getTypeNode(), depth + 1, false);
    }
    if (Node.isUnionTypeNode(node)) {
      throw new OutputProblem(node, "COGTS_SCHEMA_OPTIONAL_OUTPUT", schemaMessages.optionalOutput(node.getText()));
    }
    if (Node.isArrayTypeNode(node))
      return { kind: "array", items: this.read(node.getElementTypeNode(), depth + 1, false) };
    if (Node.isTypeLiteral(node)) return this.object(node.getMembers(), depth);
    if (!Node.isTypeReference(node)) return unsupported();

    const target = resolveTypeReference(node, this.sources);
    const args = node.getTypeArguments();
    if (!target) return unsupported();
    if (target.kind === "external") {
      throw new OutputProblem(
        node,
        "COGTS_SCHEMA_UNRESOLVED_TYPE",
        schemaMessages.unresolvedType(node.getTypeName().getText(), target.module),
      );
    }
    if (target.kind === "sdk") {
      if (target.name === "Int") return { kind: "primitive", primitive: "integer" };
      if (target.name === "Path") return { kind: "primitive", primitive: "path" };
      if (target.name === "ConcatenateIterator") {
        if (!topLevel) unsupported("a stream can only be the whole output");
        const element = args[0];
        if (element && element.getKind() !== SyntaxKind.StringKeyword) {
          throw new OutputProblem(
            element,
            "COGTS_SCHEMA_CONCATENATE_NOT_STRING",
            schemaMessages.concatenateNotString(element.getText()),
          );
        }
        return { kind: "iterator", items: { kind: "primitive", primitive: "string" }, concatenate: true };
      }
      return unsupported();
    }
    if (target.kind === "global") {
      if ((target.name === "Array" || target.name === "ReadonlyArray") && args.length === 1) {
        return { kind: "array", items: this.read(args[0]!, depth + 1, false) };
      }
      if (target.name === "Record" && args.length === 2) {
        if (args[0]!.getKind() !== SyntaxKind.StringKeyword) unsupported("Record keys must be string");
        return { kind: "dict", values: this.read(args[1]!, depth + 1, false) };
      }
      if (ITERATOR_TYPES.has(target.name) && args.length >= 1) {
        if (!topLevel) unsupported("a stream can only be the whole output");
        return { kind: "iterator", items: this.read(args[0]!, depth + 1, false), concatenate: false };
      }
      return unsupported();
    }
    const declaration = target.node;
    if (Node.isTypeAliasDeclaration(declaration) && declaration.getTypeParameters().length === 0) {
      return this.read(declaration.getTypeNodeOrThrow(), depth + 1, topLevel);
    }
    if (Node.isInterfaceDeclaration(declaration) && declaration.getTypeParameters().length === 0) {
      const members = [
        ...declaration.getExtends().flatMap((base) => this.#membersOf(base, depth)),
        ...declaration.getMembers(),
      ];
      return this.object(members, depth);
    }
    if (Node.isClassDeclaration(declaration)) {
      return { kind: "object", fields: this.#classFields(declaration, depth) };
    }
    return unsupported();
  }

  /** Members of an interface named in an `extends` clause, base members first. */
  #membersOf(base: Node, depth: number): TypeElementTypes[] {
    if (!Node.isExpressionWithTypeArguments(base)) return [];
    const name = base.getExpression().getText();
    const target = this.sources.resolveName(base.getSourceFile(), name);
    if (target?.kind !== "declaration" || !Node.isInterfaceDeclaration(target.node)) {
      unsupportedAt(base, `${name} is not an interface declared in this project`);
    }
    const inherited = target.node.getExtends().flatMap((next) => this.#membersOf(next, depth + 1));
    return [...inherited, ...target.node.getMembers()];
  }

  #classFields(declaration: import("ts-morph").ClassDeclaration, depth: number): OutputField[] {
    const fields: OutputField[] = [];
    for (const property of declaration.getProperties()) {
      if (property.isStatic() || property.getScope() === "private" || property.getScope() === "protected") continue;
      const typeNode = property.getTypeNode();
      if (!typeNode) {
        fields.push({
          name: property.getName(),
          type: inferredFromInitializer(property),
          optional: property.hasQuestionToken(),
        });
        continue;
      }
      fields.push(this.field(property.getName(), typeNode, property.hasQuestionToken(), depth));
    }
    return fields;
  }

  object(members: TypeElementTypes[], depth: number): OutputType {
    const fields: OutputField[] = [];
    for (const member of members) {
      if (!Node.isPropertySignature(member)) {
        if (Node.isMethodSignature(member)) continue;
        unsupportedAt(member, "object outputs may only have properties");
      }
      const property = member as import("ts-morph").PropertySignature;
      const typeNode = property.getTypeNode();
      if (!typeNode) unsupportedAt(property, "give every property a type annotation");
      const existing = fields.findIndex((field) => field.name === property.getName());
      const field = this.field(property.getName(), typeNode!, property.hasQuestionToken(), depth);
      if (existing >= 0) fields[existing] = field;
      else fields.push(field);
    }
    return { kind: "object", fields };
  }

  /** An object property: `?`, `| null` and `| undefined` make it optional (nullable, not required). */
  field(rawName: string, typeNode: TypeNode, question: boolean, depth: number): OutputField {
    const name = rawName.replace(/^["']|["']$/g, "");
    let optional = question;
    let inner: TypeNode = typeNode;
    if (Node.isUnionTypeNode(typeNode)) {
      const rest = typeNode.getTypeNodes().filter((member) => {
        const nullish =
          member.getKind() === SyntaxKind.UndefinedKeyword ||
          (Node.isLiteralTypeNode(member) && member.getLiteral().getKind() === SyntaxKind.NullKeyword);
        if (nullish) optional = true;
        return !nullish;
      });
      if (rest.length !== 1) {
        throw new OutputProblem(
          typeNode,
          "COGTS_SCHEMA_UNSUPPORTED_OUTPUT_TYPE",
          schemaMessages.unsupportedOutputType(typeNode.getText(), "a property may be one type, optionally `| null`"),
        );
      }
      inner = rest[0]!;
    }
    return { name, type: this.read(inner, depth + 1, false), optional };
  }
}

/** `caption = ""` in an output class: the type TypeScript infers from a literal initializer. */
function inferredFromInitializer(property: import("ts-morph").PropertyDeclaration): OutputType {
  const initializer = property.getInitializer();
  const kind = initializer && unwrapLiteralKind(initializer);
  if (kind === "string" || kind === "number" || kind === "boolean") return { kind: "primitive", primitive: kind };
  return unsupportedAt(property, "give the property a type annotation");
}

function unwrapLiteralKind(node: Node): string | undefined {
  if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node) || Node.isTemplateExpression(node))
    return "string";
  if (Node.isNumericLiteral(node)) return "number";
  if (Node.isPrefixUnaryExpression(node) && Node.isNumericLiteral(node.getOperand())) return "number";
  if (node.getKind() === SyntaxKind.TrueKeyword || node.getKind() === SyntaxKind.FalseKeyword) return "boolean";
  return undefined;
}

function unsupportedAt(node: Node, why: string): never {
  throw new OutputProblem(
    node,
    "COGTS_SCHEMA_UNSUPPORTED_OUTPUT_TYPE",
    schemaMessages.unsupportedOutputType(node.getText(), why),
  );
}
