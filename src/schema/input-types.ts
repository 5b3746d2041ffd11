/** Maps the TypeScript type of a predictor parameter to an input type (docs/spec/cog-contract.md §5.2, docs/spec/typescript.md). */
import type { TypeNode } from "ts-morph";
import { Node, SyntaxKind } from "./ts-morph.js";
import { schemaMessages } from "./errors.js";
import type { InputType } from "./model.js";
import type { SourceSet } from "./source-files.js";
import { MAX_TYPE_DEPTH, resolveTypeReference } from "./type-names.js";

interface ReadInputType {
  type: InputType;
  /** The type admits `null` or `undefined`. */
  nullable: boolean;
}

/** Returns undefined after reporting the problem. */
export function readInputType(typeNode: TypeNode, paramName: string, sources: SourceSet): ReadInputType | undefined {
  const unsupported = (node: Node = typeNode, why = ""): undefined => {
    sources.report(
      node,
      "COGTS_SCHEMA_UNSUPPORTED_INPUT_TYPE",
      schemaMessages.unsupportedInputType(paramName, node.getText(), why),
    );
    return undefined;
  };
  const members = flattenUnion(typeNode, sources);
  if (!members) return unsupported();
  const nullable = members.some(isNullish);
  const rest = members.filter((member) => !isNullish(member));
  if (rest.length === 0) return unsupported();

  const literals = rest.map(literalValue);
  if (literals.every((value) => value !== undefined)) {
    const values = literals as (string | number)[];
    const kinds = new Set(values.map((value) => typeof value));
    if (kinds.size > 1) return unsupported(typeNode, "a literal union must be all strings or all numbers");
    return { type: { kind: "literals", values: [...new Set(values)] }, nullable };
  }
  if (isBooleanLiteralPair(rest)) return { type: { kind: "primitive", primitive: "boolean" }, nullable };

  const mapped: InputType[] = [];
  for (const member of rest) {
    const type = mapSingle(member, sources, 0);
    if (!type) return unsupported(rest.length > 1 ? member : typeNode);
    mapped.push(type);
  }
  if (mapped.length === 1) return { type: mapped[0]!, nullable };
  // Cog rejects unions containing files, secrets or models: only JSON-native members are allowed.
  const fileOrSecret = mapped.findIndex(
    (type) => type.kind === "primitive" && (type.primitive === "path" || type.primitive === "secret"),
  );
  if (fileOrSecret >= 0) return unsupported(typeNode, "a union may not contain Path or Secret, as in Cog");
  return { type: { kind: "union", variants: mapped }, nullable };
}

/** Union members, with type aliases of unions and parentheses flattened. */
function flattenUnion(node: TypeNode, sources: SourceSet, depth = 0): TypeNode[] | undefined {
  if (depth > MAX_TYPE_DEPTH) return undefined;
  if (Node.isParenthesizedTypeNode(node)) return flattenUnion(node.getTypeNode(), sources, depth + 1);
  if (Node.isUnionTypeNode(node)) {
    const result: TypeNode[] = [];
    for (const member of node.getTypeNodes()) {
      const flat = flattenUnion(member, sources, depth + 1);
      if (!flat) return undefined;
      result.push(...flat);
    }
    return result;
  }
  if (Node.isTypeReference(node) && node.getTypeArguments().length === 0) {
    const target = resolveTypeReference(node, sources);
    if (
      target?.kind === "declaration" &&
      Node.isTypeAliasDeclaration(target.node) &&
      target.node.getTypeParameters().length === 0
    ) {
      return flattenUnion(target.node.getTypeNodeOrThrow(), sources, depth + 1);
    }
  }
  return [node];
}

function isNullish(node: TypeNode): boolean {
  if (node.getKind() === SyntaxKind.UndefinedKeyword) return true;
  return Node.isLiteralTypeNode(node) && node.getLiteral().getKind() === SyntaxKind.NullKeyword;
}

function literalValue(node: TypeNode): string | number | undefined {
  if (!Node.isLiteralTypeNode(node)) return undefined;
  const literal = node.getLiteral();
  if (Node.isStringLiteral(literal) || Node.isNoSubstitutionTemplateLiteral(literal)) return literal.getLiteralValue();
  if (Node.isNumericLiteral(literal)) return literal.getLiteralValue();
  if (Node.isPrefixUnaryExpression(literal) && literal.getOperatorToken() === SyntaxKind.MinusToken) {
    const operand = literal.getOperand();
    if (Node.isNumericLiteral(operand)) return -operand.getLiteralValue();
  }
  return undefined;
}

function isBooleanLiteralPair(nodes: TypeNode[]): boolean {
  const kinds = new Set(nodes.map((node) => (Node.isLiteralTypeNode(node) ? node.getLiteral().getKind() : undefined)));
  return nodes.length === 2 && kinds.has(SyntaxKind.TrueKeyword) && kinds.has(SyntaxKind.FalseKeyword);
}

function mapSingle(node: TypeNode, sources: SourceSet, depth: number): InputType | undefined {
  if (depth > MAX_TYPE_DEPTH) return undefined;
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
      return { kind: "primitive", primitive: "object" };
  }
  if (Node.isParenthesizedTypeNode(node)) return mapSingle(node.getTypeNode(), sources, depth + 1);
  if (Node.isTypeOperatorTypeNode(node) && node.getOperator() === SyntaxKind.ReadonlyKeyword) {
    return mapSingle(node.getTypeNode(), sources, depth + 1);
  }
  if (Node.isArrayTypeNode(node)) return arrayOf(node.getElementTypeNode(), sources, depth);
  // An object type (`{ role: string; content: string }`, an interface) is a JSON object, described as
  // `{"type": "object"}` without its fields: Cog does the same with a TypedDict input.
  if (Node.isTypeLiteral(node)) return { kind: "primitive", primitive: "object" };
  if (!Node.isTypeReference(node)) return undefined;

  const target = resolveTypeReference(node, sources);
  const args = node.getTypeArguments();
  if (!target) return undefined;
  if (target.kind === "sdk") {
    if (target.name === "Int") return { kind: "primitive", primitive: "integer" };
    if (target.name === "Path") return { kind: "primitive", primitive: "path" };
    if (target.name === "Secret") return { kind: "primitive", primitive: "secret" };
    return undefined;
  }
  if (target.kind === "global") {
    if ((target.name === "Array" || target.name === "ReadonlyArray") && args.length === 1) {
      return arrayOf(args[0]!, sources, depth);
    }
    if (target.name === "Record" && args.length === 2 && args[0]!.getKind() === SyntaxKind.StringKeyword) {
      return { kind: "primitive", primitive: "object" };
    }
    return undefined;
  }
  if (
    target.kind === "declaration" &&
    Node.isTypeAliasDeclaration(target.node) &&
    target.node.getTypeParameters().length === 0
  ) {
    return mapSingle(target.node.getTypeNodeOrThrow(), sources, depth + 1);
  }
  if (
    target.kind === "declaration" &&
    Node.isInterfaceDeclaration(target.node) &&
    target.node.getTypeParameters().length === 0
  ) {
    return { kind: "primitive", primitive: "object" };
  }
  return undefined;
}

function arrayOf(element: TypeNode, sources: SourceSet, depth: number): InputType | undefined {
  const items = mapSingle(element, sources, depth + 1);
  return items ? { kind: "array", items } : undefined;
}
