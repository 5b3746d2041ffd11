// The two registries of the test environment, driven by the real docker client: push and pull back
// on the open one; on the auth one, refused without credentials or with a wrong password, accepted
// after `docker login` (credentials kept in a throwaway DOCKER_CONFIG, never the user's).
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage, docker, dockerCli, requireTestEnv, uniqueName } from "../helpers/test-env.js";
import type { TestEnv } from "../helpers/test-env.js";

const execFileAsync = promisify(execFile);

let env: TestEnv;
let image: string;
let marker: string;
const madeImages: string[] = [];

beforeAll(async () => {
  env = requireTestEnv();
  // A tiny image (one small file) so pushes stay cheap; the label proves the pulled image is ours.
  image = `${uniqueName("cogts-env-push")}:latest`;
  marker = uniqueName("marker");
  madeImages.push(image);
  await buildImage(image, {
    Dockerfile: `FROM scratch\nCOPY payload.txt /payload.txt\nLABEL org.cogts.test-marker=${marker}\n`,
    "payload.txt": `payload ${marker}\n`,
  });
});

afterAll(async () => {
  if (madeImages.length > 0) await docker("rmi", "-f", ...madeImages).catch(() => undefined);
});

async function pushThenPullBack(target: string, dockerEnv: NodeJS.ProcessEnv = {}): Promise<void> {
  madeImages.push(target);
  await docker("tag", image, target);
  const push = await dockerCli(["push", target], { env: dockerEnv });
  expect(push.exitCode, push.stderr).toBe(0);
  expect(push.stdout).toMatch(/digest: sha256:[0-9a-f]{64}/);
  await docker("rmi", target);
  const pull = await dockerCli(["pull", target], { env: dockerEnv });
  expect(pull.exitCode, pull.stderr).toBe(0);
  const label = await docker("image", "inspect", "-f", '{{index .Config.Labels "org.cogts.test-marker"}}', target);
  expect(label).toBe(marker);
}

describe("the open test registry", () => {
  it("answers the registry API without credentials", async () => {
    const response = await fetch(`http://${env.registry}/v2/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
  });

  it("takes a push from the docker client and gives the same image back", async () => {
    await pushThenPullBack(`${env.registry}/${uniqueName("open")}:v1`);
  });
});

describe("the auth test registry", () => {
  let dockerConfig: string;
  beforeAll(async () => {
    dockerConfig = await mkdtemp(join(tmpdir(), "cogts-docker-config-"));
  });
  afterAll(async () => {
    await rm(dockerConfig, { recursive: true, force: true });
  });

  it("asks for credentials on the registry API", async () => {
    const response = await fetch(`http://${env.authRegistry}/v2/`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    const withCredentials = await fetch(`http://${env.authRegistry}/v2/`, {
      headers: { authorization: `Basic ${Buffer.from(`${env.authUser}:${env.authPassword}`).toString("base64")}` },
    });
    expect(withCredentials.status).toBe(200);
  });

  it("refuses a push before login", async () => {
    const target = `${env.authRegistry}/${uniqueName("nologin")}:v1`;
    madeImages.push(target);
    await docker("tag", image, target);
    const push = await dockerCli(["push", target], { env: { DOCKER_CONFIG: dockerConfig } });
    expect(push.exitCode).not.toBe(0);
    expect(push.stdout + push.stderr).toMatch(/no basic auth credentials|unauthorized|authentication required/i);
  });

  it("refuses a login with a wrong password", async () => {
    const login = await dockerCli(["login", "-u", env.authUser, "--password-stdin", env.authRegistry], {
      env: { DOCKER_CONFIG: dockerConfig },
      input: `${env.authPassword}-wrong\n`,
    });
    expect(login.exitCode).not.toBe(0);
    expect(login.stderr).toMatch(/401 Unauthorized/);
  });

  it("after docker login, takes a push and gives the same image back; skopeo reads it with the same credentials", async () => {
    const login = await dockerCli(["login", "-u", env.authUser, "--password-stdin", env.authRegistry], {
      env: { DOCKER_CONFIG: dockerConfig },
      input: `${env.authPassword}\n`,
    });
    expect(login.exitCode).toBe(0);
    expect(login.stdout).toContain("Login Succeeded");
    const config = JSON.parse(await readFile(join(dockerConfig, "config.json"), "utf8")) as {
      auths: Record<string, unknown>;
    };
    expect(Object.keys(config.auths)).toContain(env.authRegistry);

    const repo = `${env.authRegistry}/${uniqueName("auth")}`;
    await pushThenPullBack(`${repo}:v1`, { DOCKER_CONFIG: dockerConfig });

    const { stdout } = await execFileAsync("skopeo", [
      "inspect",
      "--tls-verify=false",
      "--creds",
      `${env.authUser}:${env.authPassword}`,
      `docker://${repo}:v1`,
    ]);
    expect((JSON.parse(stdout) as { Labels: Record<string, string> }).Labels["org.cogts.test-marker"]).toBe(marker);
  });
});
