// The pure parts of test/helpers/test-env.ts.
import { afterEach, describe, expect, it } from "vitest";
import { mirrorOf, requireTestEnv, uniqueName } from "../helpers/test-env.js";

describe("mirrorOf", () => {
  it("puts official images under library/ and others under their own path, like Docker Hub mirrors", () => {
    expect(mirrorOf("debian:bookworm-slim", "m.invalid")).toBe("m.invalid/library/debian:bookworm-slim");
    expect(mirrorOf("node:22-bookworm-slim", "m.invalid")).toBe("m.invalid/library/node:22-bookworm-slim");
    expect(mirrorOf("nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", "m.invalid")).toBe(
      "m.invalid/nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04",
    );
  });

  it("leaves names that already name a registry alone", () => {
    expect(mirrorOf("ghcr.io/owner/image:1", "m.invalid")).toBe("ghcr.io/owner/image:1");
    expect(mirrorOf("localhost:5000/image:1", "m.invalid")).toBe("localhost:5000/image:1");
    expect(mirrorOf("localhost/image:1", "m.invalid")).toBe("localhost/image:1");
  });
});

describe("uniqueName", () => {
  it("gives different, docker-safe names on every call", () => {
    const names = new Set(Array.from({ length: 50 }, () => uniqueName("My Test/Image")));
    expect(names.size).toBe(50);
    for (const name of names) expect(name).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
  });
});

describe("requireTestEnv", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("fails with the missing names and the command that sets them", () => {
    Object.assign(process.env, {
      DOCKER_HOST: "unix:///x.sock",
      COGTS_TEST_REGISTRY: "127.0.0.1:1",
      COGTS_TEST_AUTH_USER: "u",
      COGTS_TEST_AUTH_PASSWORD: "p",
    });
    delete process.env.COGTS_TEST_AUTH_REGISTRY;
    delete process.env.COGTS_BASE_IMAGE_MIRROR;
    expect(() => requireTestEnv()).toThrow(
      /missing COGTS_BASE_IMAGE_MIRROR, COGTS_TEST_AUTH_REGISTRY\).*eval "\$\(scripts\/test-env up\)"/,
    );
  });

  it("returns every setting when they are all there", () => {
    Object.assign(process.env, {
      DOCKER_HOST: "unix:///x.sock",
      COGTS_BASE_IMAGE_MIRROR: "m.invalid",
      COGTS_TEST_REGISTRY: "127.0.0.1:1",
      COGTS_TEST_AUTH_REGISTRY: "127.0.0.1:2",
      COGTS_TEST_AUTH_USER: "u",
      COGTS_TEST_AUTH_PASSWORD: "p",
    });
    expect(requireTestEnv()).toEqual({
      dockerHost: "unix:///x.sock",
      baseImageMirror: "m.invalid",
      registry: "127.0.0.1:1",
      authRegistry: "127.0.0.1:2",
      authUser: "u",
      authPassword: "p",
    });
  });
});
