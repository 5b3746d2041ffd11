/** What a type reference (`Path`, `cog.Path`, `Output`, `Record<…>`) in a predictor file refers to. */
import type { TypeReferenceNode } from "ts-morph";
import { Node } from "./ts-morph.js";
import { SDK_MODULE, type ResolvedName, type SourceSet } from "./source-files.js";

export function resolveTypeReference(node: TypeReferenceNode, sources: SourceSet): ResolvedName | undefined {
  const typeName = node.getTypeName();
  const file = node.getSourceFile();
  if (Node.isQualifiedName(typeName)) {
    const left = typeName.getLeft().getText();
    const module = sources.namespaceModule(file, left);
    if (module === SDK_MODULE) return { kind: "sdk", name: typeName.getRight().getText() };
    return module ? { kind: "external", module } : undefined;
  }
  return sources.resolveName(file, typeName.getText());
}

/** Type aliases and interfaces may refer to themselves; stop following them after this many hops. */
export const MAX_TYPE_DEPTH = 32;
