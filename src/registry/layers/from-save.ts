import { posix } from "node:path";
import { PassThrough } from "node:stream";
import type { Readable } from "node:stream";
import { UserError } from "../../errors.js";
import { LayerCache, saveImageRecord, sha256 } from "./cache.js";
import type { Stored } from "./cache.js";
import type { EngineImage, LayerBlob, PrepareOptions, PreparedImage } from "./types.js";

// Source three of three: the image save tarball (legacy `docker save` layout, or the OCI layout of newer
// engines: both carry manifest.json), streamed through once.

const LEGACY_LAYER = /^[0-9a-f]{64}\/layer\.tar$/;

/**
 * The DiffID a tar entry holds, when its name tells: the OCI layout names an uncompressed layer by its
 * DiffID; the legacy layout's `<v1-id>/layer.tar` v1 IDs derive from the layer chain, so an earlier
 * export's name→DiffID record applies. Either way a cached layer is then neither hashed nor compressed again.
 */
function knownDiffId(name: string, legacyNames: Record<string, string>): string | undefined {
  const oci = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
  if (oci) return `sha256:${oci[1]}`;
  return LEGACY_LAYER.test(name) ? legacyNames[name] : undefined;
}

/** Entries at most this big are kept in memory while the export streams by (configs, tiny layers). */
const SMALL_ENTRY = 1 << 20;

/**
 * Prepares the image from its image save export: layers whose entry name tells a cached DiffID are skipped,
 * the others are compressed into the cache (and streamed to the registry when probably new) as the tar goes by.
 */
export async function fromSave(
  engineImage: EngineImage,
  info: { Id: string; RootFS?: { Layers?: string[] } },
  cache: LayerCache,
  root: string,
  options: PrepareOptions,
): Promise<PreparedImage> {
  const { extract } = await import("tar-stream");
  const tar = extract();
  const small = new Map<string, Buffer>();
  const links = new Map<string, string>();
  const stored = new Map<string, Stored>();
  const wanted = new Set(info.RootFS?.Layers ?? []);
  const cachedByName = new Map<string, LayerBlob>();
  const legacyNames = await cache.legacyNames();
  const pulled =
    options.openStreamedUpload && options.pulledLayers ? await options.pulledLayers(wanted) : new Set<string>();
  const namedDiffIds = new Set(Object.values(legacyNames));
  const unknownNamesAreNew = [...pulled].every((id) => namedDiffIds.has(id));

  const saveStream = (await engineImage.get()) as Readable;
  const done = new Promise<void>((resolve, reject) => {
    tar.on("entry", (headerInfo, stream, next) => {
      const name = posix.normalize(headerInfo.name);
      const fail = (err: Error) => {
        stream.resume();
        reject(err);
      };
      if (headerInfo.type === "symlink" || headerInfo.type === "link") {
        links.set(name, posix.normalize(posix.join(posix.dirname(name), headerInfo.linkname ?? "")));
        stream.resume();
        stream.on("end", next);
        return;
      }
      if (headerInfo.type !== "file") {
        stream.resume();
        stream.on("end", next);
        return;
      }
      const size = headerInfo.size ?? 0;
      if (size <= SMALL_ENTRY) {
        const chunks: Buffer[] = [];
        stream.on("data", (c) => chunks.push(c as Buffer));
        stream.on("end", () => {
          small.set(name, Buffer.concat(chunks));
          next();
        });
        stream.on("error", reject);
        return;
      }
      const storeEntry = async () => {
        const known = knownDiffId(name, legacyNames);
        if (known && wanted.has(known)) {
          const hit = await cache.get(known, options.blobExists);
          if (hit) {
            cachedByName.set(name, hit);
            stream.resume();
            return;
          }
        }
        // Stream only layers that are probably new, i.e. not pulled by the engine from a registry. A legacy-layout
        // name says nothing before the bytes are hashed (spooling to disk to find out cost more than it gained on
        // dockerd 20.10), but once every pulled layer of the image has a known name, an unknown name is new.
        const isNew = known ? !pulled.has(known) : unknownNamesAreNew;
        const streamed = isNew ? options.openStreamedUpload?.() : undefined;
        const result = await cache.store(stream as unknown as Readable, streamed?.sink);
        stored.set(name, result);
        options.onBlobReady?.(result.blob, streamed);
      };
      storeEntry().then(() => next(), fail);
    });
    tar.on("finish", resolve);
    tar.on("error", reject);
    saveStream.on("error", reject);
  });
  saveStream.pipe(tar);
  await done;

  const manifestText = small.get("manifest.json");
  if (!manifestText)
    throw new UserError(
      `The engine's export of ${info.Id} has no manifest.json; cogts cannot read this engine's image format.`,
    );
  const manifest = JSON.parse(manifestText.toString("utf8")) as { Config: string; Layers: string[] }[];
  const entry = manifest[0];
  if (!entry) throw new UserError(`The engine's export of ${info.Id} lists no image.`);
  const resolveName = (n: string) => {
    let name = posix.normalize(n);
    for (let i = 0; i < 10 && links.has(name); i++) name = links.get(name)!;
    return name;
  };
  const config = small.get(resolveName(entry.Config));
  if (!config) throw new UserError(`The engine's export of ${info.Id} has no config ${entry.Config}.`);
  const diffIds = (JSON.parse(config.toString("utf8")) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
  if (diffIds.length !== entry.Layers.length)
    throw new UserError(
      `The image ${info.Id} lists ${entry.Layers.length} layers but its config has ${diffIds.length} DiffIDs.`,
    );

  const layers: LayerBlob[] = [];
  for (const [index, layerName] of entry.Layers.entries()) {
    const name = resolveName(layerName);
    const diffId = diffIds[index]!;
    let blob: LayerBlob | undefined = cachedByName.get(name);
    if (!blob) {
      let result = stored.get(name);
      if (!result) {
        const data = small.get(name);
        if (!data) throw new UserError(`The engine's export of ${info.Id} is missing layer ${layerName}.`);
        result = await cache.store(PassThroughOf(data));
        stored.set(name, result);
        options.onBlobReady?.(result.blob);
      }
      if (result.compressedHere && result.raw !== diffId) {
        throw new UserError(
          `Layer ${layerName} of ${info.Id} hashes to ${result.raw}, not its DiffID ${diffId}: the export is corrupt.`,
        );
      }
      blob = { diffId, ...result.blob };
      await cache.put(blob);
    }
    if (LEGACY_LAYER.test(name)) legacyNames[name] = diffId;
    layers.push(blob);
  }
  await cache.saveLegacyNames(legacyNames);
  await saveImageRecord(root, { imageId: info.Id, config: config.toString("base64"), diffIds });
  return { imageId: info.Id, config, configDigest: sha256(config), layers, exported: true, layersFrom: "save" };
}

function PassThroughOf(data: Buffer): Readable {
  const p = new PassThrough();
  p.end(data);
  return p;
}
