import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushImage } from "../../src/docker/push.js";
import { inspectRemoteImage } from "../../src/registry/inspect.js";
import { buildTestImage, docker, tempDir, testEnv, uniqueName } from "./support.js";
import type { TestEnv } from "./support.js";

describe("reading a pushed image's labels without pulling it", () => {
  let env: TestEnv;
  let cacheDir: string;
  const images: string[] = [];
  beforeAll(async () => {
    env = await testEnv();
    cacheDir = await tempDir("cache");
  });
  afterAll(async () => {
    await docker("rmi", "-f", ...images).catch(() => undefined);
    await rm(cacheDir, { recursive: true, force: true });
  });

  it("follows an OCI index to its linux/amd64 image", async () => {
    const repo = `${env.registry}/${uniqueName("index")}`;
    const amd64 = await buildTestImage(uniqueName("cogts-amd64"), {
      bigMb: 1,
      code: "amd64",
      labels: { "run.cog.openapi_schema": '{"which":"amd64"}' },
    });
    const other = await buildTestImage(uniqueName("cogts-other"), {
      bigMb: 1,
      code: "other",
      labels: { "run.cog.openapi_schema": '{"which":"other"}' },
    });
    images.push(amd64, other);
    const a = await pushImage(`${repo}:amd64`, amd64, { cacheDir });
    const b = await pushImage(`${repo}:other`, other, { cacheDir });
    const size = async (ref: string) =>
      (
        await fetch(`http://${env.registry}/v2/${ref}`, {
          method: "HEAD",
          headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
        })
      ).headers.get("content-length");
    const name = repo.slice(env.registry.length + 1);
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        // The non-amd64 entry comes first, as in Cog's bundles where weights sit beside the image.
        {
          mediaType: "application/vnd.docker.distribution.manifest.v2+json",
          digest: b.digest,
          size: Number(await size(`${name}/manifests/${b.digest}`)),
          platform: { os: "linux", architecture: "arm64" },
        },
        {
          mediaType: "application/vnd.docker.distribution.manifest.v2+json",
          digest: a.digest,
          size: Number(await size(`${name}/manifests/${a.digest}`)),
          platform: { os: "linux", architecture: "amd64" },
        },
      ],
    });
    const put = await fetch(`http://${env.registry}/v2/${name}/manifests/multi`, {
      method: "PUT",
      headers: { "content-type": "application/vnd.oci.image.index.v1+json" },
      body: index,
    });
    expect(put.status).toBe(201);

    const remote = await inspectRemoteImage(`${repo}:multi`);
    expect(remote.indexDigest).toBe(`sha256:${createHash("sha256").update(index).digest("hex")}`);
    expect(remote.digest).toBe(a.digest);
    expect(JSON.parse(remote.labels["run.cog.openapi_schema"]!)).toEqual({ which: "amd64" });
  });

  it("says plainly when the tag does not exist", async () => {
    await expect(inspectRemoteImage(`${env.registry}/${uniqueName("absent")}:v1`)).rejects.toThrow(
      "does not exist in the registry",
    );
  });
});
