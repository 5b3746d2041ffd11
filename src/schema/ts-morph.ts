/**
 * ts-morph, loaded with require(): importing its 9 MB CommonJS bundle from ESM makes Node scan the whole file for
 * named exports first, which costs about 70 ms of every cold `cog schema`.
 */
import * as nodeModule from "node:module";
import { createRequire } from "node:module";
import type * as TsMorph from "ts-morph";

// Node 22.1+ can keep V8's compiled code of this bundle on disk between runs; older Node simply lacks the function.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const tsMorph = createRequire(import.meta.url)("ts-morph") as typeof TsMorph;

export const { Node, Project, SyntaxKind } = tsMorph;
export type Node = TsMorph.Node;
