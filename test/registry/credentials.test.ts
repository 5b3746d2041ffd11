import { chmod, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { resolveCredentials, saveCredentials } from "../../src/registry/credentials.js";
import { login } from "../../src/registry/login.js";
import { tempDir } from "./support.js";

const noPrompts = {
  token: () => Promise.reject(new Error("no prompt in tests")),
  username: () => Promise.reject(new Error("no prompt in tests")),
  password: () => Promise.reject(new Error("no prompt in tests")),
};

describe("docker credentials", () => {
  let dir: string;
  let binDir: string;
  const originalPath = process.env.PATH;
  beforeEach(async () => {
    dir = await tempDir("docker-config");
    binDir = await tempDir("bin");
    process.env.DOCKER_CONFIG = dir;
    process.env.PATH = `${binDir}:${originalPath}`;
    delete process.env.COG_REGISTRY_USERNAME;
    delete process.env.COG_REGISTRY_PASSWORD;
    // A credential helper speaking docker's protocol, keeping its store in a JSON file.
    await writeFile(
      join(binDir, "docker-credential-test"),
      `#!/usr/bin/env node
const fs = require("fs");
const store = ${JSON.stringify(join(binDir, "store.json"))};
const data = fs.existsSync(store) ? JSON.parse(fs.readFileSync(store, "utf8")) : {};
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const action = process.argv[2];
  if (action === "store") { const c = JSON.parse(input); data[c.ServerURL] = c; fs.writeFileSync(store, JSON.stringify(data)); return; }
  if (action === "get") {
    const c = data[input.trim()];
    if (!c) { process.stdout.write("credentials not found in native keychain\\n"); process.exit(1); }
    process.stdout.write(JSON.stringify(c)); return;
  }
  process.exit(2);
});
`,
    );
    await chmod(join(binDir, "docker-credential-test"), 0o755);
  });
  afterEach(async () => {
    process.env.PATH = originalPath;
    await rm(dir, { recursive: true, force: true });
    await rm(binDir, { recursive: true, force: true });
  });

  it("saves into config.json with mode 0600, keeping what else is there, and reads it back", async () => {
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({ auths: { "other.example": { auth: "eDp5" } }, psFormat: "table" }),
    );
    expect(await saveCredentials("registry.example:5000", "alice", "s3cret:with:colons")).toEqual({
      file: join(dir, "config.json"),
    });
    const saved = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as {
      auths: Record<string, { auth: string }>;
      psFormat: string;
    };
    expect(Buffer.from(saved.auths["registry.example:5000"]!.auth, "base64").toString()).toBe(
      "alice:s3cret:with:colons",
    );
    expect(saved.psFormat).toBe("table");
    expect(saved.auths["other.example"]).toBeDefined();
    expect((await stat(join(dir, "config.json"))).mode & 0o777).toBe(0o600);
    expect(await resolveCredentials("registry.example:5000")).toEqual({
      username: "alice",
      password: "s3cret:with:colons",
    });
  });

  it("creates the config directory and file when there is none", async () => {
    process.env.DOCKER_CONFIG = join(dir, "fresh");
    await saveCredentials("r.example", "bob", "pw");
    expect(await resolveCredentials("r.example")).toEqual({ username: "bob", password: "pw" });
  });

  it("reads identity tokens and https:// keys as docker writes them", async () => {
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({ auths: { "https://id.example": { identitytoken: "refresh-me" } } }),
    );
    expect(await resolveCredentials("id.example")).toEqual({ identityToken: "refresh-me" });
    expect(await resolveCredentials("absent.example")).toBeUndefined();
  });

  it("stores and reads through a per-host credHelper, leaving config.json without secrets", async () => {
    await writeFile(join(dir, "config.json"), JSON.stringify({ credHelpers: { "helped.example": "test" } }));
    expect(await saveCredentials("helped.example", "carol", "tok")).toEqual({ helper: "docker-credential-test" });
    expect(await readFile(join(dir, "config.json"), "utf8")).not.toContain("tok");
    expect(await resolveCredentials("helped.example")).toEqual({ username: "carol", password: "tok" });
  });

  it("uses credsStore for every host and falls back to auths when the store has nothing", async () => {
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({
        credsStore: "test",
        auths: { "plain.example": { auth: Buffer.from("dan:pw").toString("base64") } },
      }),
    );
    await saveCredentials("stored.example", "erin", "pw2");
    expect(await resolveCredentials("stored.example")).toEqual({ username: "erin", password: "pw2" });
    expect(await resolveCredentials("plain.example")).toEqual({ username: "dan", password: "pw" });
  });

  it("names the helper when it cannot be run", async () => {
    await writeFile(join(dir, "config.json"), JSON.stringify({ credsStore: "missing-helper" }));
    await expect(resolveCredentials("x.example")).rejects.toThrow("docker-credential-missing-helper");
  });

  it("lets COG_REGISTRY_USERNAME/PASSWORD override the config", async () => {
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({ auths: { "r.example": { auth: Buffer.from("a:b").toString("base64") } } }),
    );
    process.env.COG_REGISTRY_USERNAME = "ci";
    process.env.COG_REGISTRY_PASSWORD = "ci-pw";
    try {
      expect(await resolveCredentials("r.example")).toEqual({ username: "ci", password: "ci-pw" });
    } finally {
      delete process.env.COG_REGISTRY_USERNAME;
      delete process.env.COG_REGISTRY_PASSWORD;
    }
  });

  it("says which file is broken when config.json is not JSON", async () => {
    await writeFile(join(dir, "config.json"), "{nope");
    await expect(resolveCredentials("r.example")).rejects.toThrow(`${join(dir, "config.json")} is not valid JSON`);
  });
});

describe("cog login's token flow against a Replicate-style /cog/v1 server", () => {
  let server: Server;
  let host: string;
  let dir: string;
  const seen: { path: string; body: string; type?: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => {
        body += d.toString();
      });
      req.on("end", () => {
        seen.push({ path: req.url ?? "", body, type: req.headers["content-type"] });
        if (req.method === "GET" && req.url === "/cog/v1/display-token-url") {
          res
            .writeHead(200, { "content-type": "application/json" })
            .end(JSON.stringify({ url: "https://example.invalid/auth/token" }));
        } else if (req.method === "POST" && req.url === "/cog/v1/verify-token") {
          const token = new URLSearchParams(body).get("token");
          if (token === "good-token")
            res
              .writeHead(200, { "content-type": "application/json" })
              .end(JSON.stringify({ username: "replicate-user" }));
          else res.writeHead(404).end("user not found");
        } else {
          res.writeHead(404).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(async () => {
    dir = await tempDir("docker-config");
    process.env.DOCKER_CONFIG = dir;
    seen.length = 0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("verifies the token with a form POST and saves it for the user the server names", async () => {
    const result = await login({ registry: host, token: "good-token\n", prompts: noPrompts });
    expect(result).toMatchObject({ username: "replicate-user", flow: "token" });
    const verify = seen.find((s) => s.path === "/cog/v1/verify-token")!;
    expect(verify.type).toBe("application/x-www-form-urlencoded");
    expect(verify.body).toBe("token=good-token");
    expect(await resolveCredentials(host)).toEqual({ username: "replicate-user", password: "good-token" });
  });

  it("asks for the token with the page URL when none was piped", async () => {
    let shown = "";
    const result = await login({
      registry: host,
      prompts: {
        ...noPrompts,
        token: async (url) => {
          shown = url;
          return "good-token";
        },
      },
    });
    expect(shown).toBe("https://example.invalid/auth/token");
    expect(result.username).toBe("replicate-user");
  });

  it("refuses Replicate API tokens without calling verify", async () => {
    await expect(login({ registry: host, token: "r8_abcdef", prompts: noPrompts })).rejects.toThrow(
      "Replicate API token",
    );
    expect(seen.some((s) => s.path === "/cog/v1/verify-token")).toBe(false);
  });

  it("reports an unknown token and saves nothing", async () => {
    await expect(login({ registry: host, token: "stale", prompts: noPrompts })).rejects.toThrow(
      "no user has this token",
    );
    expect(await resolveCredentials(host)).toBeUndefined();
  });

  it("saves through the credsStore when one is configured", async () => {
    const bin = await tempDir("bin");
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, "docker-credential-rec"), `#!/bin/sh\ncat > ${join(bin, "stored.json")}\n`, {
      mode: 0o755,
    });
    await writeFile(join(dir, "config.json"), JSON.stringify({ credsStore: "rec" }));
    const originalPath = process.env.PATH;
    process.env.PATH = `${bin}:${originalPath}`;
    try {
      const result = await login({ registry: host, token: "good-token", prompts: noPrompts });
      expect(result.saved).toEqual({ helper: "docker-credential-rec" });
      expect(JSON.parse(await readFile(join(bin, "stored.json"), "utf8"))).toEqual({
        ServerURL: host,
        Username: "replicate-user",
        Secret: "good-token",
      });
    } finally {
      process.env.PATH = originalPath;
      await rm(bin, { recursive: true, force: true });
    }
  });
});
