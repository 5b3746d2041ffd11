/**
 * Reads an image's config and layer tars straight from a local engine's storage directory, byte for byte what
 * `docker save` would send, without the export.
 *
 * Why: on Docker 20.10 image save copies every layer into a temporary directory before it sends its first byte
 * (about 2 s for 400 MB here), while `docker push` reads layers in place. dockerd keeps, for every layer, the
 * tar's headers and padding in `tar-split.json.gz` (vbatts/tar-split) next to the extracted files, which is how
 * it rebuilds the exact tar itself; doing the same here gives the same bytes at the speed of reading files.
 *
 * Only used when the engine is local (a unix socket), its storage driver keeps plain directories (overlay2,
 * fuse-overlayfs, vfs) and this process may read them (root, or rootless docker). Everything read is checked:
 * the config must hash to the image ID, each tar to its DiffID (by the caller, as it streams); anything else
 * makes the push fall back to image save.
 */
import { closeSync, constants, createReadStream, openSync, readSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join, posix } from "node:path";
import { Readable } from "node:stream";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import type Docker from "dockerode";

/** Where each storage driver keeps a layer's files, given its cache-id. */
const DIFF_DIRS: Record<string, (root: string, cacheId: string) => string> = {
  overlay2: (root, id) => join(root, "overlay2", id, "diff"),
  "fuse-overlayfs": (root, id) => join(root, "fuse-overlayfs", id, "diff"),
  vfs: (root, id) => join(root, "vfs", "dir", id),
};

const hex = (digest: string) => digest.replace(/^sha256:/, "");
const sha256 = (data: string | Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

/** The ChainIDs of a layer stack (image-spec: ChainID(L₀) = DiffID(L₀), ChainID(Lₙ) = sha256(ChainID(Lₙ₋₁) + " " + DiffID(Lₙ))). */
export function chainIds(diffIds: readonly string[]): string[] {
  const chain: string[] = [];
  for (const diffId of diffIds)
    chain.push(chain.length === 0 ? diffId : sha256(`${chain[chain.length - 1]} ${diffId}`));
  return chain;
}

/** One line of tar-split's JSON packing: 1 = a file whose bytes live on disk, 2 = raw tar bytes (headers, padding). */
interface TarSplitEntry {
  type: 1 | 2;
  name?: string;
  /** The name as bytes (base64) when it is not valid UTF-8. */
  name_raw?: string;
  size?: number;
  /** Type 2: the raw bytes (base64). Type 1: a CRC-64 of the file (unused: the whole tar's sha256 is checked). */
  payload?: string | null;
}

const READ_CHUNK = 1 << 20;

export class LocalLayerStore {
  constructor(
    /** The engine's data root (`docker info` DockerRootDir). */
    readonly root: string,
    readonly driver: string,
  ) {
    if (!DIFF_DIRS[driver]) throw new Error(`no layer layout known for the storage driver ${driver}`);
  }

  private get imageDir(): string {
    return join(this.root, "image", this.driver);
  }

  /** The image's config JSON as the engine stores it, or undefined when absent or not matching the image ID. */
  async config(imageId: string): Promise<Buffer | undefined> {
    const data = await readFile(join(this.imageDir, "imagedb", "content", "sha256", hex(imageId))).catch(
      () => undefined,
    );
    return data && sha256(data) === imageId ? data : undefined;
  }

  /**
   * The uncompressed tar of layer `index` of the stack `diffIds`. Throws (on open or while streaming) when the
   * engine does not have it as expected; the caller checks the bytes against the DiffID.
   */
  async openLayer(diffIds: readonly string[], index: number): Promise<Readable> {
    const chainId = chainIds(diffIds.slice(0, index + 1))[index]!;
    const dir = join(this.imageDir, "layerdb", "sha256", hex(chainId));
    const [diff, cacheId] = await Promise.all([
      readFile(join(dir, "diff"), "utf8"),
      readFile(join(dir, "cache-id"), "utf8"),
    ]);
    if (diff.trim() !== diffIds[index])
      throw new Error(`layer ${chainId} of the engine's store holds ${diff.trim()}, not ${diffIds[index]}`);
    const files = DIFF_DIRS[this.driver]!(this.root, cacheId.trim());
    return Readable.from(assemble(join(dir, "tar-split.json.gz"), files), {
      objectMode: false,
      highWaterMark: 4 * READ_CHUNK,
    });
  }
}

/** Files up to this size are read synchronously, in one call: per-file async round trips cost 5x the reading. */
const SMALL_FILE = 1 << 20;
/** Small pieces (headers, small files) are passed on in batches of about this size. */
const BATCH = 1 << 20;

/** Rebuilds a layer tar: raw segments from the tar-split file, file contents from the layer's directory. */
async function* assemble(tarSplit: string, files: string): AsyncGenerator<Buffer> {
  const lines = createInterface({ input: createReadStream(tarSplit).pipe(createGunzip()), crlfDelay: Infinity });
  let batch: Buffer[] = [];
  let batched = 0;
  const add = (piece: Buffer) => {
    batch.push(piece);
    batched += piece.length;
  };
  const take = () => {
    const out = Buffer.concat(batch, batched);
    batch = [];
    batched = 0;
    return out;
  };
  for await (const line of lines) {
    if (line === "") continue;
    const entry = JSON.parse(line) as TarSplitEntry;
    if (entry.type === 2) {
      if (entry.payload) add(Buffer.from(entry.payload, "base64"));
    } else if (entry.size) {
      const path = layerFile(files, entry);
      if (entry.size <= SMALL_FILE) {
        add(readSmallFile(path, entry.size));
      } else {
        if (batched > 0) yield take();
        yield* readLargeFile(path, entry.size);
      }
    }
    if (batched >= BATCH) yield take();
  }
  if (batched > 0) yield take();
}

/** The path of an entry's file. A name that is not UTF-8 stays bytes, as the file system has it. */
function layerFile(files: string, entry: TarSplitEntry): string | Buffer {
  const raw = entry.name_raw !== undefined ? Buffer.from(entry.name_raw, "base64") : undefined;
  // latin1 maps bytes to characters one to one, so the check below works on raw names too.
  const name = raw ? raw.toString("latin1") : (entry.name ?? "");
  const relative = posix.normalize(`/${name}`).slice(1);
  if (relative === "" || relative === ".." || relative.startsWith("../"))
    throw new Error(`tar-split names an unsafe path: ${JSON.stringify(name)}`);
  return raw ? Buffer.concat([Buffer.from(`${files}/`), Buffer.from(relative, "latin1")]) : join(files, relative);
}

// O_NOFOLLOW: a layer's regular file is never a symlink in its directory.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

function shortFile(path: string | Buffer, size: number): Error {
  return new Error(`${path} in the engine's layer is shorter than its tar entry (${size} bytes)`);
}

function readSmallFile(path: string | Buffer, size: number): Buffer {
  const fd = openSync(path, READ_FLAGS);
  try {
    const buffer = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const n = readSync(fd, buffer, filled, size - filled, null);
      if (n === 0) throw shortFile(path, size);
      filled += n;
    }
    return buffer;
  } finally {
    closeSync(fd);
  }
}

async function* readLargeFile(path: string | Buffer, size: number): AsyncGenerator<Buffer> {
  const handle = await open(path, READ_FLAGS);
  try {
    let left = size;
    while (left > 0) {
      const buffer = Buffer.allocUnsafe(Math.min(left, READ_CHUNK));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) throw shortFile(path, size);
      left -= bytesRead;
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/**
 * The engine's layer store when it can be read here, else undefined (remote engine, another storage driver,
 * containerd image store, no permission). `COGTS_PUSH_FROM_STORAGE=0` turns this off: layers then come from
 * image save.
 */
export async function openLocalLayerStore(docker: Docker): Promise<LocalLayerStore | undefined> {
  if (process.env.COGTS_PUSH_FROM_STORAGE === "0") return undefined;
  // Only an engine behind a unix socket is surely on this machine, with its storage under our file system.
  const { endpointOf } = await import("./engine.js");
  if (endpointOf(docker).kind !== "unix") return undefined;
  try {
    const info = (await docker.info()) as {
      DockerRootDir?: string;
      Driver?: string;
      DriverStatus?: [string, string][];
    };
    const driver = info.Driver ?? "";
    // Docker 24+ with the containerd image store reports the snapshotter here ("overlayfs"): not this layout.
    if (!info.DockerRootDir || !DIFF_DIRS[driver]) return undefined;
    const store = new LocalLayerStore(info.DockerRootDir, driver);
    const probe = await open(join(store.root, "image", driver, "layerdb", "sha256"), constants.O_RDONLY).catch(
      () => undefined,
    );
    if (!probe) return undefined;
    await probe.close();
    return store;
  } catch {
    return undefined;
  }
}
