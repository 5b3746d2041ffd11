import { randomBytes } from "node:crypto";
import type Docker from "dockerode";
import { UserError } from "../errors.js";

/**
 * A UUIDv7 (RFC 9562 §5.7): 48-bit Unix milliseconds, version and variant bits, random rest, so push ids
 * sort by time as Cog's do.
 */
export function uuidv7(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Adds labels to an existing image without a new layer (`FROM image` + `LABEL`, classic builder), and tags
 * the result. Used for `run.cog.push_id`, which must not be part of the cached build itself.
 */
export async function addImageLabels(docker: Docker, image: string, labels: Record<string, string>, tag: string): Promise<string> {
  const { pack } = await import("tar-stream");
  const tar = pack();
  tar.entry({ name: "Dockerfile" }, `FROM ${image}\n`);
  tar.finalize();
  const stream = await docker.buildImage(tar as unknown as NodeJS.ReadableStream, { t: tag, labels, rm: true, forcerm: true, version: "1" } as Docker.ImageBuildOptions);
  let id: string | undefined;
  let failure: string | undefined;
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()), (event: { error?: string; aux?: { ID?: string } }) => {
      if (event.error) failure = event.error;
      if (event.aux?.ID) id = event.aux.ID;
    });
  });
  if (failure) throw new UserError(`Adding labels to ${image} failed: ${failure}`);
  return id ?? (await docker.getImage(tag).inspect()).Id;
}
