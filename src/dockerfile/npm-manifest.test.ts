import { describe, expect, it } from "vitest";
import { imageLockfile, imageManifest } from "./npm-manifest.js";

describe("the npm manifest the image installs", () => {
  it("drops cogts from every runtime field, and dev dependencies and workspaces altogether", () => {
    const manifest = imageManifest({
      name: "m",
      type: "module",
      imports: { "#lib/*": "./lib/*.js" },
      workspaces: ["packages/*"],
      dependencies: { cogts: "^0.1.0", sharp: "0.34.5" },
      devDependencies: { cogts: "file:../cogts", typescript: "5.9.3" },
      optionalDependencies: { cogts: "*" },
      bundleDependencies: ["cogts"],
    });
    expect(manifest).toEqual({
      name: "m",
      type: "module",
      imports: { "#lib/*": "./lib/*.js" },
      dependencies: { sharp: "0.34.5" },
    });
  });

  it("keeps only the lockfile packages reachable from what is left, nested and linked ones included", () => {
    const lock = {
      name: "m",
      lockfileVersion: 3,
      requires: true,
      packages: {
        "": {
          name: "m",
          dependencies: { cogts: "file:../cogts", a: "^1.0.0", linked: "file:lib/linked" },
          devDependencies: { vitest: "4" },
        },
        "../cogts": { version: "0.1.0", dependencies: { typescript: "5", ajv: "8" } },
        "node_modules/cogts": { resolved: "../cogts", link: true },
        "node_modules/typescript": { version: "5.9.3" },
        "node_modules/ajv": { version: "8.20.0", dependencies: { "fast-uri": "3" } },
        "node_modules/fast-uri": { version: "3.0.0" },
        "node_modules/a": { version: "1.0.0", dependencies: { ajv: "6", "@s/b": "1" } },
        "node_modules/a/node_modules/ajv": { version: "6.12.6" },
        "node_modules/@s/b": { version: "1.0.0", optionalDependencies: { c: "1" } },
        "node_modules/c": { version: "1.0.0", optional: true },
        "lib/linked": { version: "0.0.1", dependencies: { d: "1" } },
        "lib/linked/node_modules/d": { version: "1.0.0" },
        "node_modules/linked": { resolved: "lib/linked", link: true },
        "node_modules/vitest": { version: "4.0.0", dev: true },
      },
    };
    const manifest = imageManifest({
      name: "m",
      dependencies: lock.packages[""].dependencies,
      devDependencies: { vitest: "4" },
    });
    const pruned = imageLockfile(lock, manifest)!;
    expect(Object.keys(pruned.packages!)).toEqual([
      "",
      "node_modules/a",
      "node_modules/a/node_modules/ajv",
      "node_modules/@s/b",
      "node_modules/c",
      "lib/linked",
      "lib/linked/node_modules/d",
      "node_modules/linked",
    ]);
    expect(pruned.packages![""]).toEqual({ name: "m", dependencies: { a: "^1.0.0", linked: "file:lib/linked" } });
    expect(pruned.requires).toBe(true);
  });

  it("gives up on a lockfile npm 7+ did not write (no packages section)", () => {
    expect(imageLockfile({ lockfileVersion: 1, dependencies: {} }, {})).toBeUndefined();
  });
});
