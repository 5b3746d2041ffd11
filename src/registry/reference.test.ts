import { describe, expect, it } from "vitest";
import { parseReference, registryBaseUrl } from "./reference.js";

describe("image references", () => {
  it("puts names without a registry host on r8.im", () => {
    expect(parseReference("owner/model", "r8.im")).toEqual({
      registry: "r8.im",
      repository: "owner/model",
      tag: "latest",
      digest: undefined,
    });
  });
  it("keeps host:port, tags and digests apart", () => {
    expect(parseReference("127.0.0.1:5000/a/b:v2")).toMatchObject({
      registry: "127.0.0.1:5000",
      repository: "a/b",
      tag: "v2",
    });
    const digest = `sha256:${"a".repeat(64)}`;
    expect(parseReference(`localhost/x@${digest}`)).toMatchObject({
      registry: "localhost",
      repository: "x",
      tag: undefined,
      digest,
    });
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
