import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushImage } from "../../src/docker/push.js";
import { inspectRemoteImage } from "../../src/registry/inspect.js";
import { buildTestImage, docker, startFaultProxy, tempDir, testEnv, uniqueName } from "./support.js";
import type { TestEnv } from "./support.js";

const run = promisify(execFile);
const fast = { attempts: 5, baseDelayMs: 50 };

describe("pushImage against the open test registry", () => {
  let env: TestEnv;
  let image: string;
  let cacheDir: string;
  beforeAll(async () => {
    env = await testEnv();
    cacheDir = await tempDir("cache");
    image = await buildTestImage(uniqueName("cogts-push-basic"), {
      bigMb: 8,
      code: "hello from the pushed image",
      labels: { "run.cog.openapi_schema": JSON.stringify({ openapi: "3.0.2" }), "run.cog.version": "cogts-test" },
    });
  });
  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
    await docker("rmi", "-f", image).catch(() => undefined);
  });

  it("pushes an image that docker pulls and runs, skopeo reads, and whose labels read back", async () => {
    const repo = `${env.registry}/${uniqueName("basic")}`;
    const result = await pushImage(`${repo}:v1`, image, { cacheDir, retry: fast });
    expect(result.reference).toMatch(new RegExp(`^${repo.replace(/[.]/g, "\\.")}@sha256:[0-9a-f]{64}$`));
    expect(result.exported).toBe(true);

    const pulled = `${repo}:v1`;
    await docker("pull", "-q", pulled);
    try {
      expect(await docker("run", "--rm", pulled)).toBe("hello from the pushed image");
      const repoDigests = await docker("image", "inspect", "-f", "{{json .RepoDigests}}", pulled);
      expect(repoDigests).toContain(result.digest);
    } finally {
      await docker("rmi", "-f", pulled).catch(() => undefined);
    }

    const { stdout } = await run("skopeo", ["inspect", "--tls-verify=false", `docker://${pulled}`]);
    const skopeo = JSON.parse(stdout) as { Digest: string; Labels: Record<string, string>; Layers: string[] };
    expect(skopeo.Digest).toBe(result.digest);
    expect(skopeo.Labels["run.cog.version"]).toBe("cogts-test");

    const remote = await inspectRemoteImage(`${repo}:v1`);
    expect(remote.digest).toBe(result.digest);
    expect(JSON.parse(remote.labels["run.cog.openapi_schema"]!)).toEqual({ openapi: "3.0.2" });
  });

  it("re-pushing an unchanged image uploads no layer bytes and exports nothing", async () => {
    const proxy = await startFaultProxy(env.registry);
    try {
      const repo = `${proxy.host}/${uniqueName("again")}`;
      const first = await pushImage(`${repo}:v1`, image, { cacheDir, retry: fast });
      const before = proxy.uploadBytes;
      const second = await pushImage(`${repo}:v1`, image, { cacheDir, retry: fast });
      expect(second.digest).toBe(first.digest);
      expect(second.exported).toBe(false);
      expect(proxy.uploadBytes - before).toBe(0);
      expect(second.blobs.every((b) => b.outcome === "exists")).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it("mounts blobs from a repository it pushed to before instead of uploading them", async () => {
    const proxy = await startFaultProxy(env.registry);
    try {
      await pushImage(`${proxy.host}/${uniqueName("mount-src")}:v1`, image, { cacheDir, retry: fast });
      const before = proxy.uploadBytes;
      const result = await pushImage(`${proxy.host}/${uniqueName("mount-dst")}:v1`, image, { cacheDir, retry: fast });
      expect(result.blobs.filter((b) => b.outcome === "mounted").length).toBeGreaterThan(0);
      expect(proxy.uploadBytes - before).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it("pushes an OCI manifest when asked", async () => {
    const repo = `${env.registry}/${uniqueName("oci")}`;
    const result = await pushImage(`${repo}:v1`, image, { cacheDir, retry: fast, format: "oci" });
    const remote = await inspectRemoteImage(`${repo}@${result.digest}`);
    expect(remote.manifest.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    expect(remote.manifest.layers.every((l) => l.mediaType === "application/vnd.oci.image.layer.v1.tar+gzip")).toBe(
      true,
    );
  });
});
