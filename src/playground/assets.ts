/** The page's files, read once from src/playground/assets (shipped in the npm package as they are: no build step). */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export interface Asset {
  type: string;
  body: Buffer;
  gzipped: Buffer;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** From the sources (src/playground/) the folder is beside this file; from dist/src/playground/ it is in the package root. */
function assetDirectory(): string {
  const candidates = [
    new URL("./assets/", import.meta.url),
    new URL("../../../src/playground/assets/", import.meta.url),
  ];
  for (const candidate of candidates) {
    const dir = fileURLToPath(candidate);
    if (existsSync(join(dir, "index.html"))) return dir;
  }
  throw new Error(
    `a bug in cogts: the playground's page is missing from the package (looked in ${candidates.map((c) => fileURLToPath(c)).join(", ")})`,
  );
}

/** Every asset by its URL path (`/index.html`, `/assets/app.js`, …). */
export function loadAssets(dir = assetDirectory()): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    const asset = { type, body, gzipped: gzipSync(body, { level: 9 }) };
    assets.set(name === "index.html" ? "/index.html" : `/assets/${name}`, asset);
  }
  return assets;
}
