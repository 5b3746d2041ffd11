import { execFile } from "node:child_process";
import { rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushImage } from "../../src/docker/push.js";
import { inspectRemoteImage } from "../../src/registry/inspect.js";
import { login } from "../../src/registry/login.js";
import { buildTestImage, docker, startFaultProxy, tempDir, testEnv, uniqueName } from "./support.js";
import type { TestEnv } from "./support.js";
import { startTokenRegistry } from "./token-registry.js";
import type { TokenRegistry } from "./token-registry.js";

const run = promisify(execFile);
const noPrompts = {
  token: () => Promise.reject(new Error("no prompt in tests")),
  username: () => Promise.reject(new Error("no prompt in tests")),
  password: () => Promise.reject(new Error("no prompt in tests")),
};

describe("pushing to registries that need credentials", () => {
  let env: TestEnv;
  let image: string;
  let cacheDir: string;
  let dockerConfig: string;
  let tokenRegistry: TokenRegistry;

  beforeAll(async () => {
    env = await testEnv();
    cacheDir = await tempDir("cache");
    dockerConfig = await tempDir("docker-config");
    process.env.DOCKER_CONFIG = dockerConfig;
    delete process.env.COG_REGISTRY_USERNAME;
    delete process.env.COG_REGISTRY_PASSWORD;
    image = await buildTestImage(uniqueName("cogts-auth"), {
      bigMb: 2,
      code: "pushed with credentials",
      labels: { "run.cog.version": "auth-test" },
    });
    tokenRegistry = await startTokenRegistry();
  });
  afterAll(async () => {
    await tokenRegistry?.close();
    await docker("rmi", "-f", image).catch(() => undefined);
    await rm(cacheDir, { recursive: true, force: true });
    await rm(dockerConfig, { recursive: true, force: true });
  });

  it("says how to log in when the registry answers 401", async () => {
    await writeFile(join(dockerConfig, "config.json"), "{}");
    await expect(pushImage(`${env.authRegistry}/${uniqueName("nologin")}:v1`, image, { cacheDir })).rejects.toThrow(
      `Log in with \`cog login ${env.authRegistry}\``,
    );
  });

  it("refuses a wrong password at login and saves nothing", async () => {
    await writeFile(join(dockerConfig, "config.json"), "{}");
    await expect(
      login({ registry: env.authRegistry, username: env.authUser, password: "wrong", prompts: noPrompts }),
    ).rejects.toThrow(`did not accept the username and password for ${env.authUser}`);
  });

  it("logs in with htpasswd basic auth, saves config.json 0600, and pushes with the saved credentials", async () => {
    await writeFile(join(dockerConfig, "config.json"), "{}");
    const result = await login({
      registry: env.authRegistry,
      username: env.authUser,
      password: env.authPassword,
      prompts: noPrompts,
    });
    expect(result.flow).toBe("password");
    expect(result.saved).toEqual({ file: join(dockerConfig, "config.json") });
    expect((await stat(join(dockerConfig, "config.json"))).mode & 0o777).toBe(0o600);

    const repo = `${env.authRegistry}/${uniqueName("basic")}`;
    const pushed = await pushImage(`${repo}:v1`, image, { cacheDir });
    const { stdout } = await run("skopeo", [
      "inspect",
      "--tls-verify=false",
      "--creds",
      `${env.authUser}:${env.authPassword}`,
      `docker://${repo}:v1`,
    ]);
    expect((JSON.parse(stdout) as { Digest: string }).Digest).toBe(pushed.digest);
    expect((await inspectRemoteImage(`${repo}:v1`)).labels["run.cog.version"]).toBe("auth-test");
  });

  it("pushes through a bearer token server, asking pull on mount sources, and docker pulls and runs the result", async () => {
    process.env.COG_REGISTRY_USERNAME = tokenRegistry.user;
    process.env.COG_REGISTRY_PASSWORD = tokenRegistry.password;
    try {
      const first = `${tokenRegistry.host}/${uniqueName("bearer-a")}`;
      const second = `${tokenRegistry.host}/${uniqueName("bearer-b")}`;
      await pushImage(`${first}:v1`, image, { cacheDir });
      const result = await pushImage(`${second}:v1`, image, { cacheDir });
      expect(result.blobs.some((b) => b.outcome === "mounted")).toBe(true);
      const firstName = first.slice(tokenRegistry.host.length + 1);
      expect(tokenRegistry.tokenRequests.some((r) => r.scopes.includes(`repository:${firstName}:pull`))).toBe(true);

      const config = await tempDir("docker-cli");
      try {
        // docker login takes the password on stdin only.
        await run("sh", ["-c", `printf %s "$P" | docker --config "$C" login -u "$U" --password-stdin "$H"`], {
          env: { ...process.env, P: tokenRegistry.password, C: config, U: tokenRegistry.user, H: tokenRegistry.host },
        });
        await docker("--config", config, "pull", "-q", `${second}:v1`);
        expect(await docker("--config", config, "run", "--rm", `${second}:v1`)).toBe("pushed with credentials");
      } finally {
        await docker("rmi", "-f", `${second}:v1`).catch(() => undefined);
        await rm(config, { recursive: true, force: true });
      }
    } finally {
      delete process.env.COG_REGISTRY_USERNAME;
      delete process.env.COG_REGISTRY_PASSWORD;
    }
  });

  it("fetches a new token when the registry rejects the cached one mid-push", async () => {
    const challenge = (await fetch(`http://${tokenRegistry.host}/v2/`)).headers.get("www-authenticate")!;
    const proxy = await startFaultProxy(tokenRegistry.host);
    process.env.COG_REGISTRY_USERNAME = tokenRegistry.user;
    process.env.COG_REGISTRY_PASSWORD = tokenRegistry.password;
    try {
      // The first blob check is answered as if the token had expired.
      proxy.faults.push({
        match: (req) => req.method === "HEAD" && Boolean(req.headers.authorization),
        action: { status: 401, headers: { "www-authenticate": challenge } },
      });
      const before = tokenRegistry.tokenRequests.length;
      const result = await pushImage(`${proxy.host}/${uniqueName("bearer-refresh")}:v1`, image, { cacheDir });
      expect(result.digest).toMatch(/^sha256:/);
      expect(proxy.requests.filter((r) => r.status === 401 && r.method === "HEAD")).toHaveLength(1);
      expect(tokenRegistry.tokenRequests.length - before).toBeGreaterThanOrEqual(2);
    } finally {
      delete process.env.COG_REGISTRY_USERNAME;
      delete process.env.COG_REGISTRY_PASSWORD;
      await proxy.close();
    }
  });

  it("fails with the login hint when the token server refuses the credentials", async () => {
    process.env.COG_REGISTRY_USERNAME = tokenRegistry.user;
    process.env.COG_REGISTRY_PASSWORD = "not-the-password";
    try {
      await expect(
        pushImage(`${tokenRegistry.host}/${uniqueName("bearer-bad")}:v1`, image, { cacheDir }),
      ).rejects.toThrow(`cog login ${tokenRegistry.host}`);
    } finally {
      delete process.env.COG_REGISTRY_USERNAME;
      delete process.env.COG_REGISTRY_PASSWORD;
    }
  });
});
