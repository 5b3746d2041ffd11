/**
 * Builds an image through the engine API (dockerode): the context goes up as one tar stream, BuildKit
 * (`version: "2"`) when the engine has it, else the classic builder; progress is decoded and shown as it comes.
 */
import type Docker from "dockerode";
import { UserError } from "../errors.js";
import { decodeTrace } from "./buildkit-trace.js";
import { contextStream } from "../build-context/index.js";
import type { ProgressSink } from "./progress.js";
import { openSecretsSession, type SecretSpec } from "./session.js";

interface BuildImageOptions {
  docker: Docker;
  /** The context directory (the project, with `.cog/build/` prepared). */
  contextDir: string;
  /** The Dockerfile's path inside the context. */
  dockerfile: string;
  tag: string;
  labels: Record<string, string>;
  buildkit: boolean;
  noCache?: boolean;
  progress: ProgressSink;
  /** Build secrets, served to BuildKit over a client session (see session.ts). */
  secrets?: SecretSpec[];
}

interface BuildMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  id?: string;
  aux?: unknown;
}

/** Whether the engine has its default bridge network; engines run with `--bridge=none` do not. */
export async function engineHasBridge(docker: Docker): Promise<boolean> {
  const networks = await docker.listNetworks({ filters: { name: ["bridge"] } });
  return networks.some((network) => network.Name === "bridge");
}

/** Builds and tags the image; resolves to its id. A failed step rejects with a UserError carrying the engine's words. */
export async function buildImage(options: BuildImageOptions): Promise<string> {
  try {
    return await buildOnce(options);
  } catch (err) {
    // The classic builder reuses intermediate images as its cache; when something else removes one mid-build, the
    // build fails with "No such image". A second attempt no longer finds that cache entry and succeeds.
    if (err instanceof UserError && /No such image: sha256:/.test(err.message)) return buildOnce(options);
    throw err;
  }
}

async function buildOnce(options: BuildImageOptions): Promise<string> {
  const { docker, progress } = options;
  const context = await contextStream(options.contextDir);
  const networkMode = (await engineHasBridge(docker)) ? undefined : "host";
  // BuildKit builds get our own client session: it serves the secrets (dockerode's buildImage would open one of its
  // own that serves only registry credentials), and the classic builder needs none.
  const session = options.buildkit ? await openSecretsSession(docker, options.secrets ?? []) : undefined;
  const query = {
    t: options.tag,
    dockerfile: options.dockerfile,
    labels: options.labels,
    nocache: options.noCache ?? false,
    rm: true,
    forcerm: true,
    // An engine started without a bridge network (as in containers without NAT rights) can only build on the host's.
    ...(networkMode ? { networkmode: networkMode } : {}),
    // BuildKit through the engine API: the builder takes the uploaded tar as its context.
    version: options.buildkit ? "2" : "1",
    ...(session ? { session: session.id } : {}),
  };
  let response: NodeJS.ReadableStream;
  try {
    response = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
      docker.modem.dial(
        {
          path: "/build?",
          method: "POST",
          file: context,
          options: query,
          isStream: true,
          statusCodes: { 200: true, 500: "server error" },
        },
        (err: unknown, data: unknown) => (err ? reject(err as Error) : resolve(data as NodeJS.ReadableStream)),
      );
    });
  } catch (err) {
    session?.close();
    throw err;
  }

  let imageId: string | undefined;
  let failure: string | undefined;
  const onMessage = (message: BuildMessage) => {
    if (message.error) {
      failure = message.errorDetail?.message ?? message.error;
      return;
    }
    if (message.id === "moby.buildkit.trace" && typeof message.aux === "string") {
      try {
        const update = decodeTrace(message.aux);
        progress.trace(update);
        const failed = update.vertexes.find((vertex) => vertex.error);
        if (failed) failure ??= `${failed.name}: ${failed.error}`;
      } catch {
        // An engine newer than this decoder may send fields it cannot read; the build result still arrives.
      }
      return;
    }
    if (message.id === "moby.image.id" && typeof message.aux === "object" && message.aux) {
      imageId = (message.aux as { ID?: string }).ID;
      return;
    }
    if (typeof message.aux === "object" && message.aux && "ID" in message.aux) {
      imageId = String((message.aux as { ID: string }).ID);
      return;
    }
    if (message.stream) progress.text(message.stream);
    else if (message.status && !message.id) progress.text(`${message.status}\n`);
  };

  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(response, (err: Error | null) => (err ? reject(err) : resolve()), onMessage);
  }).finally(() => {
    progress.close();
    session?.close();
  });

  if (failure) throw new UserError(`The image build failed: ${failure.trim()}`);
  if (!imageId) {
    const inspected = await docker
      .getImage(options.tag)
      .inspect()
      .catch(() => undefined);
    imageId = inspected?.Id;
  }
  if (!imageId) throw new UserError("The image build finished without producing an image.");
  return imageId;
}
