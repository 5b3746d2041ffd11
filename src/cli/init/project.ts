/**
 * `cog init` in a folder, new or not: writes each file of the template that is missing, skips each one that exists
 * (as Cog does), and adds to an existing package.json only what the template's has and it lacks: never a changed
 * value, never a removed key.
 *
 *   const { files } = await initProject("~/my-model");
 *   // [{ file: "cog.yaml", action: "created" }, { file: "package.json", action: "updated", changes: [...] }, ...]
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { UserError } from "../../errors.js";
import { initTemplates } from "./templates.js";

export interface InitFile {
  file: string;
  action: "created" | "skipped" | "updated";
  /** For package.json: each addition, or why something was left as it is. */
  changes?: string[];
}

export interface InitResult {
  files: InitFile[];
  /** Whether the dependencies in package.json changed (npm install is then the next step). */
  dependenciesChanged: boolean;
}

type Manifest = Record<string, unknown>;
const DEPENDENCY_FIELDS = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"] as const;
const SKIPPED_DIRS = new Set(["node_modules", ".git", ".cog"]);

/** A package name npm accepts, from the folder's name. */
export function projectName(dir: string): string {
  return (
    path
      .basename(path.resolve(dir))
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[._-]+/, "") || "model"
  );
}

export async function initProject(dir: string): Promise<InitResult> {
  const templates = initTemplates(projectName(dir), dir);
  const manifestPath = path.join(dir, "package.json");
  // Read before anything is written: a package.json we cannot read stops init with nothing half done.
  const existing = existsSync(manifestPath) ? readManifest(manifestPath) : undefined;
  const files: InitFile[] = [];
  let dependenciesChanged = false;
  for (const [file, text] of Object.entries(templates)) {
    const target = path.join(dir, file);
    if (file === "package.json" && existing) {
      const template = JSON.parse(text) as Manifest;
      const { manifest, changes, dependencies } = completeManifest(existing.manifest, template, dir);
      dependenciesChanged ||= dependencies;
      const changed = manifest !== existing.manifest;
      if (changed)
        writeFileSync(target, `${JSON.stringify(manifest, null, existing.indent)}${existing.finalNewline ? "\n" : ""}`);
      files.push({ file, action: changed ? "updated" : "skipped", changes });
      continue;
    }
    if (existsSync(target)) {
      files.push({ file, action: "skipped" });
      continue;
    }
    writeFileSync(target, text, { flag: "wx" });
    files.push({ file, action: "created" });
    if (file === "package.json") dependenciesChanged = true;
  }
  return { files, dependenciesChanged };
}

function readManifest(file: string): { manifest: Manifest; indent: string; finalNewline: boolean } {
  const text = readFileSync(file, "utf8");
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw new UserError(
      `package.json is not valid JSON (${(error as Error).message}): fix it and run cog init again; nothing was written.`,
    );
  }
  if (!manifest || typeof manifest !== "object" || Array.isArray(manifest)) {
    throw new UserError(
      "package.json does not hold a JSON object: fix it and run cog init again; nothing was written.",
    );
  }
  return {
    manifest: manifest as Manifest,
    indent: /^[ \t]+(?=")/m.exec(text)?.[0] ?? "  ",
    finalNewline: text.endsWith("\n"),
  };
}

/**
 * The existing manifest with what the template's adds: its `type`, when that is safe, and each of its dependencies
 * the project lists under no field. Returns the same object when nothing is added.
 */
function completeManifest(
  existing: Manifest,
  template: Manifest,
  dir: string,
): { manifest: Manifest; changes: string[]; dependencies: boolean } {
  const changes: string[] = [];
  let manifest = existing;
  const listed = new Set(DEPENDENCY_FIELDS.flatMap((field) => Object.keys(asRecord(existing[field]))));
  let dependencies = false;
  for (const field of DEPENDENCY_FIELDS) {
    for (const [name, spec] of Object.entries(asRecord(template[field]))) {
      if (listed.has(name)) continue;
      if (manifest[field] !== undefined && !isRecord(manifest[field])) {
        changes.push(`left ${field} as it is (not an object): add ${name} ${JSON.stringify(spec)} to it by hand`);
        continue;
      }
      manifest = { ...manifest, [field]: { ...asRecord(manifest[field]), [name]: spec } };
      changes.push(
        `added ${field}.${name} ${JSON.stringify(spec)}${name === "cogts" ? " (the SDK's types, for your editor and tsc)" : ""}`,
      );
      dependencies = true;
    }
  }
  if (template.type === "module" && existing.type !== "module") {
    const commonJs = existing.type === undefined ? commonJsFile(dir) : undefined;
    if (existing.type === undefined && !commonJs) {
      manifest = withType(manifest, "module");
      changes.unshift(
        'added "type": "module" (predict.ts runs as an ES module with cog run --no-docker; this makes the image run it as one too)',
      );
    } else {
      const why = commonJs ? `${commonJs} is CommonJS` : 'it says "type": "commonjs"';
      changes.push(
        `left "type" as it is (${why}): in the image, .ts files then compile to CommonJS, without import.meta or top-level await (name a file .mts to make it an ES module)`,
      );
    }
  }
  return { manifest, changes, dependencies };
}

/** `type` placed after the keys that usually open a package.json, so the file reads as if written by hand. */
function withType(manifest: Manifest, type: string): Manifest {
  const entries = Object.entries(manifest);
  let at = 0;
  entries.forEach(([key], index) => {
    if (["name", "version", "private", "description"].includes(key)) at = index + 1;
  });
  return Object.fromEntries([...entries.slice(0, at), ["type", type], ...entries.slice(at)]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** The first .js file of the project written as CommonJS (which "type": "module" would break), if any. */
function commonJsFile(dir: string, relative = ""): string | undefined {
  let entries;
  try {
    entries = readdirSync(path.join(dir, relative), { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      const found = SKIPPED_DIRS.has(entry.name) ? undefined : commonJsFile(dir, child);
      if (found) return found;
    } else if (entry.isFile() && entry.name.endsWith(".js")) {
      const text = readFileSync(path.join(dir, child), "utf8");
      if (/\brequire\s*\(|\bmodule\.exports\b|\bexports\.[\w$]+\s*=/.test(text)) return child;
    }
  }
  return undefined;
}
