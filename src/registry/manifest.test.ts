import { createHash } from "node:crypto";
import { MockAgent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { RegistryClient } from "./client.js";
import { MEDIA_TYPES, buildManifest, commitManifest } from "./manifest.js";

const config = { size: 120, digest: `sha256:${"c".repeat(64)}` };
const layers = [
  { size: 10, digest: `sha256:${"a".repeat(64)}`, compression: "gzip" as const },
  { size: 20, digest: `sha256:${"b".repeat(64)}`, compression: "zstd" as const },
];

describe("buildManifest", () => {
  it("writes a Docker v2 schema 2 manifest; a zstd layer takes the OCI media type, Docker has none", () => {
    const m = buildManifest("docker", config, layers);
    const parsed = JSON.parse(m.bytes.toString("utf8")) as {
      mediaType: string;
      config: { mediaType: string };
      layers: { mediaType: string }[];
    };
    expect(m.mediaType).toBe(MEDIA_TYPES.docker.manifest);
    expect(parsed.config.mediaType).toBe(MEDIA_TYPES.docker.config);
    expect(parsed.layers.map((l) => l.mediaType)).toEqual([MEDIA_TYPES.docker.layer.gzip, MEDIA_TYPES.oci.layer.zstd]);
    expect(m.digest).toBe(`sha256:${createHash("sha256").update(m.bytes).digest("hex")}`);
  });
  it("keeps its serialisation (3-space indent), so a re-push of the same image gives the same digest", () => {
    const m = buildManifest("oci", config, layers.slice(0, 1));
    expect(m.bytes.toString("utf8")).toBe(
      JSON.stringify(
        {
          schemaVersion: 2,
          mediaType: MEDIA_TYPES.oci.manifest,
          config: { mediaType: MEDIA_TYPES.oci.config, ...config },
          layers: [{ mediaType: MEDIA_TYPES.oci.layer.gzip, size: 10, digest: layers[0]!.digest }],
        },
        null,
        3,
      ),
    );
  });
});

describe("commitManifest (PUT /v2/<name>/manifests/<tag>)", () => {
  const host = "127.0.0.1:5998";
  let client: RegistryClient | undefined;
  afterEach(async () => {
    await client?.close();
  });
  const setup = () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    client = new RegistryClient(host, undefined, { attempts: 2, baseDelayMs: 1 }, agent);
    return agent.get(`http://${host}`);
  };
  const manifest = buildManifest("docker", config, layers.slice(0, 1));

  it("sends the exact bytes with the manifest's media type as Content-Type", async () => {
    const pool = setup();
    let sent: { type?: string; body?: string } = {};
    pool.intercept({ method: "PUT", path: "/v2/o/m/manifests/v1" }).reply((opts) => {
      sent = { type: (opts.headers as Record<string, string>)["content-type"], body: String(opts.body) };
      return { statusCode: 201, data: "", responseOptions: { headers: { "docker-content-digest": manifest.digest } } };
    });
    await commitManifest(client!, "o/m", "v1", manifest);
    expect(sent).toEqual({ type: MEDIA_TYPES.docker.manifest, body: manifest.bytes.toString("utf8") });
  });
  it("refuses a registry that stored another digest", async () => {
    const pool = setup();
    pool
      .intercept({ method: "PUT", path: "/v2/o/m/manifests/v1" })
      .reply(201, "", { headers: { "docker-content-digest": `sha256:${"0".repeat(64)}` } });
    await expect(commitManifest(client!, "o/m", "v1", manifest)).rejects.toThrow(
      `stored the manifest as sha256:${"0".repeat(64)}, not ${manifest.digest}`,
    );
  });
});
