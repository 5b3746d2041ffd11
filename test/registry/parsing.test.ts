import { describe, expect, it } from "vitest";
import { parseChallenge, repositoryScope } from "../../src/registry/auth.js";
import { parseReference, registryBaseUrl } from "../../src/registry/reference.js";
import { uuidv7 } from "../../src/registry/push-id.js";

describe("image references", () => {
  it("puts names without a registry host on r8.im", () => {
    expect(parseReference("owner/model", "r8.im")).toEqual({ registry: "r8.im", repository: "owner/model", tag: "latest", digest: undefined });
  });
  it("keeps host:port, tags and digests apart", () => {
    expect(parseReference("127.0.0.1:5000/a/b:v2")).toMatchObject({ registry: "127.0.0.1:5000", repository: "a/b", tag: "v2" });
    const digest = `sha256:${"a".repeat(64)}`;
    expect(parseReference(`localhost/x@${digest}`)).toMatchObject({ registry: "localhost", repository: "x", tag: undefined, digest });
  });
  it("refuses names docker would refuse, saying what is allowed", () => {
    expect(() => parseReference("r8.im/Owner/Model")).toThrow("lowercase");
    expect(() => parseReference("r8.im/owner/model:bad tag")).toThrow('Invalid tag "bad tag"');
    expect(() => parseReference("")).toThrow("An image name is required");
  });
  it("uses http for loopback registries and https elsewhere", () => {
    expect(registryBaseUrl("127.0.0.1:5100")).toBe("http://127.0.0.1:5100");
    expect(registryBaseUrl("localhost:5000")).toBe("http://localhost:5000");
    expect(registryBaseUrl("r8.im")).toBe("https://r8.im");
  });
});

describe("WWW-Authenticate challenges", () => {
  it("reads Bearer realm, service and a scope holding host:port and spaces", () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:h:5000/app:pull,push repository:other:pull"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://auth.example/token", service: "registry.example", scope: "repository:h:5000/app:pull,push repository:other:pull" },
    });
  });
  it("reads Basic and ignores schemes it cannot use", () => {
    expect(parseChallenge('Basic realm="basic-realm"')).toEqual({ scheme: "basic", params: { realm: "basic-realm" } });
    expect(parseChallenge("Negotiate abc")).toBeUndefined();
    expect(parseChallenge(undefined)).toBeUndefined();
  });
  it("writes scopes without splitting names on ':'", () => {
    expect(repositoryScope("host:5000/app", ["pull", "push"])).toBe("repository:host:5000/app:pull,push");
  });
});

describe("push ids", () => {
  it("are UUIDv7 that sort by time", () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
  });
});
