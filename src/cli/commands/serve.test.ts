/** The pure parts of `cog serve` through the engine: project binds, remote-engine detection. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { projectBinds, remoteEngineHost } from "./serve.js";

const scratch = mkdtempSync(path.join(tmpdir(), "cogts-serve-units-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("projectBinds", () => {
  it("binds each top-level entry read-only at /src except node_modules, and warns about names Docker cannot bind", async () => {
    const dir = path.join(scratch, "project");
    mkdirSync(path.join(dir, "node_modules", "x"), { recursive: true });
    mkdirSync(path.join(dir, ".cog"), { recursive: true });
    mkdirSync(path.join(dir, "lib"));
    writeFileSync(path.join(dir, "predict.ts"), "");
    writeFileSync(path.join(dir, "a:b.txt"), "");
    const warnings: string[] = [];
    const binds = await projectBinds(dir, (line) => warnings.push(line));
    expect(binds).toEqual([
      `${dir}/.cog:/src/.cog:ro`,
      `${dir}/lib:/src/lib:ro`,
      `${dir}/predict.ts:/src/predict.ts:ro`,
    ]);
    expect(warnings).toEqual(["Not mounting a:b.txt: Docker cannot bind-mount a path whose name has a colon."]);
  });
});

describe("remoteEngineHost", () => {
  it("names engines on other machines only", () => {
    expect(remoteEngineHost(undefined)).toBeUndefined();
    expect(remoteEngineHost("unix:///var/run/docker.sock")).toBeUndefined();
    expect(remoteEngineHost("tcp://127.0.0.1:2375")).toBeUndefined();
    expect(remoteEngineHost("tcp://localhost:2376")).toBeUndefined();
    expect(remoteEngineHost("tcp://build-box:2376")).toBe("build-box");
    expect(remoteEngineHost("ssh://me@gpu.example.com")).toBe("gpu.example.com");
  });
});
