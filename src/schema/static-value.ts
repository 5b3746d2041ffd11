/**
 * Reads a literal value from source without running it: `Input({...})` options and defaults must be literals or
 * module-level constants holding literals, as in Cog, whose schema is also read statically.
 */
import type { SourceFile } from "ts-morph";
import { Node, SyntaxKind } from "./ts-morph.js";
import type { JsonValue } from "./model.js";
import { unwrapExpression, type SourceSet } from "./source-files.js";

/** `undefined` written as a default means "no default"; kept apart from JSON values. */
export const UNDEFINED = Symbol("undefined");

type StaticValue = { ok: true; value: JsonValue | typeof UNDEFINED } | { ok: false; node: Node };

export function evaluateStatic(expression: Node, sources: SourceSet, depth = 0): StaticValue {
  const node = unwrapExpression(expression);
  const fail: StaticValue = { ok: false, node };
  if (depth > 20) return fail;

  if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node)) {
    return { ok: true, value: node.getLiteralValue() };
  }
  if (Node.isNumericLiteral(node)) return { ok: true, value: node.getLiteralValue() };
  if (node.getKind() === SyntaxKind.TrueKeyword) return { ok: true, value: true };
  if (node.getKind() === SyntaxKind.FalseKeyword) return { ok: true, value: false };
  if (node.getKind() === SyntaxKind.NullKeyword) return { ok: true, value: null };

  if (Node.isPrefixUnaryExpression(node)) {
    const operator = node.getOperatorToken();
    if (operator !== SyntaxKind.MinusToken && operator !== SyntaxKind.PlusToken) return fail;
    const operand = evaluateStatic(node.getOperand(), sources, depth + 1);
    if (!operand.ok || typeof operand.value !== "number") return fail;
    return { ok: true, value: operator === SyntaxKind.MinusToken ? -operand.value : operand.value };
  }

  if (Node.isArrayLiteralExpression(node)) {
    const values: JsonValue[] = [];
    for (const element of node.getElements()) {
      if (Node.isSpreadElement(element)) {
        const spread = evaluateStatic(element.getExpression(), sources, depth + 1);
        if (!spread.ok) return spread;
        if (!Array.isArray(spread.value)) return { ok: false, node: element };
        values.push(...spread.value);
        continue;
      }
      const item = evaluateStatic(element, sources, depth + 1);
      if (!item.ok) return item;
      if (item.value === UNDEFINED) return { ok: false, node: element };
      values.push(item.value);
    }
    return { ok: true, value: values };
  }

  if (Node.isObjectLiteralExpression(node)) {
    const result: { [key: string]: JsonValue } = {};
    for (const property of node.getProperties()) {
      if (!Node.isPropertyAssignment(property)) return { ok: false, node: property };
      const nameNode = property.getNameNode();
      if (!(Node.isIdentifier(nameNode) || Node.isStringLiteral(nameNode) || Node.isNumericLiteral(nameNode))) {
        return { ok: false, node: nameNode };
      }
      const name = Node.isIdentifier(nameNode) ? nameNode.getText() : String(nameNode.getLiteralValue());
      const item = evaluateStatic(property.getInitializerOrThrow(), sources, depth + 1);
      if (!item.ok) return item;
      if (item.value !== UNDEFINED) result[name] = item.value;
    }
    return { ok: true, value: result };
  }

  if (Node.isIdentifier(node)) {
    if (node.getText() === "undefined") return { ok: true, value: UNDEFINED };
    return evaluateConstant(node.getSourceFile(), node.getText(), sources, depth) ?? fail;
  }
  return fail;
}

/** A module-level `const NAME = literal`, in this file or imported from a local file. */
function evaluateConstant(file: SourceFile, name: string, sources: SourceSet, depth: number): StaticValue | undefined {
  const resolved = sources.resolveName(file, name);
  if (resolved?.kind !== "declaration" || !Node.isVariableDeclaration(resolved.node)) return undefined;
  const declaration = resolved.node;
  const statement = declaration.getVariableStatement();
  // Only module-level consts: a `let` could change before predict() runs, a local is not visible here.
  if (!statement || !Node.isSourceFile(statement.getParent())) return undefined;
  if (statement.getDeclarationKind() !== "const") return undefined;
  const initializer = declaration.getInitializer();
  if (!initializer) return undefined;
  const value = evaluateStatic(initializer, sources, depth + 1);
  return value.ok ? value : undefined;
}
