/**
 * A prediction's output as the worker sends it: the value as JSON, with each file (`Path`) put into the prediction's
 * output directory and replaced by a slot the server fills in (see runtime/protocol).
 */
import { copyFileSync, linkSync, mkdirSync, realpathSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { isPath, isSecret } from "../sdk/index.js";
import type { FileSlot } from "../protocol/index.js";

/** Where a prediction's file outputs go, and the places in the value they were taken from. */
export class OutputFiles {
  /** The files of the message being built; `take()` hands them over. */
  private slots: FileSlot[] = [];
  /** Files made so far in this prediction: each gets a numbered subdirectory of its own. */
  private count = 0;
  /** Keys and indices from the top of the value down to what `serialize` is looking at. */
  readonly at: (string | number)[] = [];
  constructor(readonly dir: string) {}

  take(): FileSlot[] | undefined {
    if (this.slots.length === 0) return undefined;
    const slots = this.slots;
    this.slots = [];
    return slots;
  }

  /** Puts the file into the prediction's output directory (a hard link, or a copy across file systems). */
  add(path: string): void {
    const source = resolve(path);
    // A symlink the predictor made on purpose is followed here, in the worker; the server never follows one.
    const real = realpathSync(source);
    if (!statSync(real).isFile()) throw new Error(`the output ${path} is not a regular file`);
    const number = this.count++;
    const subdirectory = join(this.dir, String(number));
    mkdirSync(subdirectory, { recursive: true, mode: 0o700 });
    const name =
      basename(source)
        .replace(/[\u0000-\u001f]/g, "_")
        .replace(/^\.+/, "") || "file";
    const target = join(subdirectory, name);
    try {
      linkSync(real, target);
    } catch {
      copyFileSync(real, target);
    }
    this.slots.push({ at: [...this.at], name: `${number}/${name}` });
  }
}

/**
 * Output values as JSON. A file (`Path`) becomes `null` here and a slot in `files` (see protocol.ts). Objects stay
 * plain objects (one without a prototype is a dictionary to V8, slower to serialise).
 */
export function serialize(value: unknown, files: OutputFiles | undefined, depth = 0): unknown {
  if (depth > 64) throw new Error("output is nested too deeply");
  if (isPath(value)) {
    // Outside outputs (a metric), a file is just its path.
    if (!files) return value.path;
    files.add(value.path);
    return null;
  }
  if (isSecret(value)) return "**********";
  if (value === undefined) return null;
  if (typeof value === "bigint") return Number(value);
  if (value === null || typeof value !== "object") return typeof value === "function" ? null : value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    files?.at.push(0);
    for (let i = 0; i < value.length; i++) {
      if (files) files.at[files.at.length - 1] = i;
      out[i] = serialize(value[i], files, depth + 1);
    }
    files?.at.pop();
    return out;
  }
  if (value instanceof Map) return serialize(Object.fromEntries(value), files, depth);
  if (value instanceof Set) return serialize([...value], files, depth);
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return serialize((value as { toJSON: () => unknown }).toJSON(), files, depth + 1);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    files?.at.push(key);
    const serialized = serialize(item, files, depth + 1);
    // Assigning `__proto__` would set the prototype and lose the key: it is defined as a plain key instead.
    if (key === "__proto__")
      Object.defineProperty(out, key, { value: serialized, enumerable: true, writable: true, configurable: true });
    else out[key] = serialized;
    files?.at.pop();
  }
  return out;
}
