import type Docker from "dockerode";
import { pushLocalImage } from "../registry/index.js";
import type { LayerSource, PushOptions, PushResult } from "../registry/index.js";
import { connectEngine } from "./engine.js";
import { openLocalLayerStore } from "./layer-store.js";

/**
 * Pushing an engine image: what the registry's push needs from the engine (the image, its layer storage, which
 * layers it pulled), so that src/registry needs nothing from src/docker.
 */
export interface EnginePushOptions extends PushOptions {
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
  const docker = given ?? connectEngine();
  return pushLocalImage(ref, {
    name: image,
    image: docker.getImage(image),
    openStorage: storage === undefined ? () => openLocalLayerStore(docker) : async () => storage ?? undefined,
    pulledLayers: (wanted) => pulledLayerIds(docker, wanted),
  }, rest);
}

/** DiffIDs among `wanted` that also belong to images pulled from a registry (they have RepoDigests). */
async function pulledLayerIds(docker: Docker, wanted: Set<string>): Promise<Set<string>> {
  const ids = new Set<string>();
  const images = (await docker.listImages()).filter((i) => (i.RepoDigests ?? []).length > 0).slice(0, 100);
  for (const image of images) {
    const info = await docker.getImage(image.Id).inspect().catch(() => undefined);
    for (const layer of info?.RootFS?.Layers ?? []) if (wanted.has(layer)) ids.add(layer);
  }
  return ids;
}
