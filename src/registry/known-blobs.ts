import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Registry → digest → a repository that has it, so blobs can be mounted instead of uploaded. */
export class KnownBlobs {
  private data: Record<string, Record<string, string>> = {};
  private readonly path: string;
  constructor(root: string) {
    this.path = join(root, "push", "known-blobs.json");
  }
  async load(): Promise<void> {
    try {
      this.data = JSON.parse(await readFile(this.path, "utf8")) as typeof this.data;
    } catch {
      this.data = {};
    }
  }
  where(registry: string, digest: string): string | undefined {
    return this.data[registry]?.[digest];
  }
  note(registry: string, digest: string, repository: string): void {
    (this.data[registry] ??= {})[digest] = repository;
  }
  async save(): Promise<void> {
    await mkdir(join(this.path, ".."), { recursive: true });
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(this.data));
    await rename(temp, this.path);
  }
}
