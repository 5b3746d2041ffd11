import { describe, expect, it } from "vitest";
import { parseChallenge, repositoryScope } from "./auth.js";

describe("WWW-Authenticate challenges", () => {
  it("reads Bearer realm, service and a scope holding host:port and spaces", () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:h:5000/app:pull,push repository:other:pull"',
      ),
    ).toEqual({
      scheme: "bearer",
      params: {
        realm: "https://auth.example/token",
        service: "registry.example",
        scope: "repository:h:5000/app:pull,push repository:other:pull",
      },
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
