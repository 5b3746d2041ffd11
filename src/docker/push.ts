import type Docker from "dockerode";
import { pushLocalImage } from "../registry/index.js";
import type { LayerSource, PushOptions, PushResult } from "../registry/index.js";
import { connectEngine } from "./engine.js";
import { openLocalLayerStore } from "./layer-store.js";

/**
 * Pushing an engine image: what the registry's push needs from the engine (the image, its layer storage, which
 * layers it pulled), so that src/registry needs nothing from src/docker.
 */
interface EnginePushOptions extends PushOptions {
  /** The engine holding the image (default: connectEngine()). */
  docker?: Docker;
  /**
   * Where to read layers without exporting the image: default the local engine's storage when readable
   * (./layer-store.ts); null to always use image save.
   */
  storage?: LayerSource | null;
}

export async function pushImage(ref: string, image: string, options: EnginePushOptions = {}): Promise<PushResult> {
  const { docker: given, storage, ...rest } = options;
  // Connected on first use, as before the split: a bad reference or a missing zstd is reported first.
  let docker = given;
  const engine = () => (docker ??= connectEngine());
  return pushLocalImage(
    ref,
    {
      name: image,
      image: { inspect: () => engine().getImage(image).inspect(), get: () => engine().getImage(image).get() },
      openStorage: storage === undefined ? () => openLocalLayerStore(engine()) : async () => storage ?? undefined,
      pulledLayers: (wanted) => pulledLayerIds(engine(), wanted),
    },
    rest,
  );
}

/** DiffIDs among `wanted` that also belong to images pulled from a registry (they have RepoDigests). */
async function pulledLayerIds(docker: Docker, wanted: Set<string>): Promise<Set<string>> {
  const ids = new Set<string>();
  const images = (await docker.listImages()).filter((i) => (i.RepoDigests ?? []).length > 0).slice(0, 100);
  for (const image of images) {
    const info = await docker
      .getImage(image.Id)
      .inspect()
      .catch(() => undefined);
    for (const layer of info?.RootFS?.Layers ?? []) if (wanted.has(layer)) ids.add(layer);
  }
  return ids;
}
