import { defineCommand } from "../command.js";
import { UsageError, UserError } from "../../errors.js";
import { buildOptions, typecheckUnlessSkipped } from "./build.js";
import { buildRequestFromFlags } from "./docker-options.js";

export const pushCommand = defineCommand({
  name: "push",
  summary: "Build and push model in current directory to a Docker registry",
  usage: "cog push [IMAGE] [flags]",
  description: [
    "Build the model (as `cog build`, plus the label run.cog.push_id) and push it to a registry over the OCI",
    "distribution API. IMAGE defaults to `image:` in cog.yaml; a name without a registry host goes to r8.im",
    "(or COG_REGISTRY_HOST). Prints the pushed digest as REGISTRY/OWNER/MODEL@sha256:….",
    "",
    "Environment: COG_PUSH_CONCURRENCY (blobs at once, default 5), COG_PUSH_GZIP_LEVEL (0-9, default 1),",
    "COG_REGISTRY_USERNAME/COG_REGISTRY_PASSWORD (credentials instead of docker's config),",
    "COGTS_INSECURE_REGISTRIES (hosts reached over plain http; loopback hosts always are), COG_PUSH_STREAM=0",
    "(compress layers to the cache before uploading instead of uploading while compressing), COGTS_CACHE_DIR",
    "(compressed layers by DiffID and pushed-blob records; default ~/.cache/cogts), COGTS_PUSH_CACHE_MAX_BYTES",
    "(compressed layers kept, least recently used dropped first; default 20 GiB), COGTS_PUSH_FROM_STORAGE=0",
    "(export layers with image save instead of reading them from a local engine's storage directory).",
  ].join("\n"),
  options: {
    ...buildOptions,
    "no-build": {
      type: "boolean",
      description: "Push an existing local image (IMAGE, or cog.yaml's image) without building",
    },
    oci: { type: "boolean", description: "Push an OCI image manifest instead of Docker v2 schema 2" },
    compression: {
      type: "string",
      default: "gzip",
      valueName: "ALGO",
      description: "Layer compression: gzip, or zstd (needs Node 22.15+; implies --oci)",
    },
  },
  positionals: { max: 1, name: "IMAGE" },
  async run(ctx) {
    const { compression } = ctx.options;
    if (compression !== "gzip" && compression !== "zstd")
      throw new UsageError(`--compression must be gzip or zstd, not "${compression}".`);
    const { pushImage } = await import("../../docker/index.js");
    const { readPushSettings } = await import("../../registry/index.js");
    const { parseReference } = await import("../../registry/index.js");
    const { createProgress } = await import("../../registry/index.js");
    const { findProject, loadProject } = await import("../../model/index.js");
    const file = ctx.options.file;
    const build = ctx.options["no-build"] !== true;
    const dir = await findProject(ctx.cwd, file);
    let target: string | undefined = ctx.positionals[0];
    // Building needs cog.yaml anyway; --no-build needs it only for the image name.
    const project = !target || build ? await loadProject(ctx.cwd, file) : undefined;
    target ??= project?.config.image;
    if (!target) {
      throw new UserError(
        "To push images, you must either set the 'image' option in cog.yaml or pass an image name as an argument. For example, 'cog push r8.im/your-username/hotdog-detector'",
      );
    }
    const ref = parseReference(target);
    if (build) await typecheckUnlessSkipped(ctx, dir, file);
    const { requireEngine } = await import("../../docker/index.js");
    const docker = await requireEngine();
    if (project && build) {
      const { buildModel } = await import("../../model/index.js");
      const { uuidv7 } = await import("../../registry/index.js");
      // As Cog does: every image `cog push` builds carries a fresh push id (a label: no layer changes).
      await buildModel({
        ...(await buildRequestFromFlags(ctx.options, project, ctx.stderr, docker)),
        tag: target,
        extraLabels: { "run.cog.push_id": uuidv7() },
      });
    }
    ctx.stderr.write(`Pushing image '${target}'...\n`);
    const progress = createProgress(ctx.stderr);
    // The environment is read here, once; the push takes plain values.
    const { fromStorage, ...settings } = readPushSettings(process.env);
    try {
      const result = await pushImage(target, target, {
        ...settings,
        docker,
        progress,
        ...(fromStorage ? {} : { storage: null }),
        format: ctx.options.oci ? "oci" : "docker",
        compression,
      });
      progress.close();
      ctx.stdout.write(`${result.reference}\n`);
      if (ref.registry === "r8.im")
        ctx.stderr.write(`\nRun your model on Replicate:\n    https://replicate.com/${ref.repository}\n`);
    } catch (err) {
      progress.close();
      throw err;
    }
    return 0;
  },
});
