/**
 * Python literals read statically, for defaults, choices and Input(...) options: strings (not f-strings with
 * fields), numbers, True/False/None, lists, tuples, dicts with string keys, negation, and names of module-level
 * constants (also imported from the project's own modules). Anything else is not a literal.
 */
import type { JsonValue } from "../model.js";
import type { PyModule, PyProject } from "./modules.js";
import type { Node } from "./parser.js";

export const NOT_STATIC = Symbol("not static");
type StaticResult = JsonValue | typeof NOT_STATIC;

export function evaluate(node: Node, module: PyModule, project: PyProject, depth = 0): StaticResult {
  if (depth > 32) return NOT_STATIC;
  switch (node.type) {
    case "string":
      return stringValue(node);
    case "concatenated_string": {
      let text = "";
      for (const part of node.namedChildren) {
        const value = part ? stringValue(part) : NOT_STATIC;
        if (typeof value !== "string") return NOT_STATIC;
        text += value;
      }
      return text;
    }
    case "integer": {
      const text = node.text.replace(/_/g, "").toLowerCase();
      if (/[jl]$/.test(text)) return NOT_STATIC;
      const value = /^0[box]/.test(text) ? Number(text) : Number.parseInt(text, 10);
      return Number.isFinite(value) ? value : NOT_STATIC;
    }
    case "float": {
      const text = node.text.replace(/_/g, "");
      if (/j$/i.test(text)) return NOT_STATIC;
      const value = Number(text);
      return Number.isFinite(value) ? value : NOT_STATIC;
    }
    case "true":
      return true;
    case "false":
      return false;
    case "none":
      return null;
    case "parenthesized_expression": {
      const inner = node.namedChild(0);
      return inner ? evaluate(inner, module, project, depth + 1) : NOT_STATIC;
    }
    case "unary_operator": {
      const operator = node.childForFieldName("operator")?.text;
      const argument = node.childForFieldName("argument");
      const value = argument ? evaluate(argument, module, project, depth + 1) : NOT_STATIC;
      if (typeof value !== "number") return NOT_STATIC;
      return operator === "-" ? -value : operator === "+" ? value : NOT_STATIC;
    }
    case "list":
    case "tuple": {
      const items: JsonValue[] = [];
      for (const child of node.namedChildren) {
        if (!child || child.type === "comment") continue;
        const value = evaluate(child, module, project, depth + 1);
        if (value === NOT_STATIC) return NOT_STATIC;
        items.push(value);
      }
      return items;
    }
    case "dictionary": {
      const object: { [key: string]: JsonValue } = {};
      for (const pair of node.namedChildren) {
        if (!pair || pair.type === "comment") continue;
        if (pair.type !== "pair") return NOT_STATIC;
        const key = evaluate(pair.childForFieldName("key")!, module, project, depth + 1);
        const value = evaluate(pair.childForFieldName("value")!, module, project, depth + 1);
        if (typeof key !== "string" || value === NOT_STATIC) return NOT_STATIC;
        object[key] = value;
      }
      return object;
    }
    case "identifier":
    case "attribute": {
      const resolved = project.resolve(module, node.text);
      if (resolved?.kind !== "constant") return NOT_STATIC;
      return evaluate(resolved.node, resolved.module, project, depth + 1);
    }
    default:
      return NOT_STATIC;
  }
}

const ESCAPES: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  "\\": "\\",
  "'": "'",
  '"': '"',
  "0": "\0",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "\n": "",
};

function stringValue(node: Node): StaticResult {
  if (node.type !== "string") return NOT_STATIC;
  const start = node.namedChildren.find((c) => c?.type === "string_start")?.text ?? node.text.slice(0, 1);
  const prefix = /^[a-zA-Z]*/.exec(start)![0].toLowerCase();
  if (prefix.includes("b")) return NOT_STATIC;
  if (node.namedChildren.some((c) => c?.type === "interpolation")) return NOT_STATIC;
  const quote = start.slice(prefix.length);
  const body = node.text.slice(start.length, node.text.length - quote.length);
  if (prefix.includes("r")) return body;
  return body.replace(
    /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\s\S])/g,
    (whole, code: string) => {
      if (/^[xuU]/.test(code)) return String.fromCodePoint(Number.parseInt(code.slice(1), 16));
      if (/^[0-7]+$/.test(code)) return String.fromCodePoint(Number.parseInt(code, 8));
      return ESCAPES[code] ?? whole;
    },
  );
}
