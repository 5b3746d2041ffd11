// The real engine that `scripts/test-env up` started or found: API round trip, builds with both
// builders from the stand-in under the mirror name (no pull), and containers on the host network.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildImage,
  docker,
  dockerClient,
  ensureStandIn,
  mirrorOf,
  requireTestEnv,
  runInContainer,
  uniqueName,
} from "../helpers/test-env.js";
import type { TestEnv } from "../helpers/test-env.js";

let env: TestEnv;
const madeImages: string[] = [];

beforeAll(() => {
  env = requireTestEnv();
});

afterAll(async () => {
  if (madeImages.length > 0) await docker("rmi", "-f", ...madeImages).catch(() => undefined);
});

describe("the test engine", () => {
  it("answers version and info through the engine API, with an API new enough for BuildKit", async () => {
    const client = await dockerClient();
    const version = await client.version();
    expect(version.Version).toMatch(/^\d+\.\d+/);
    const [major, minor] = version.ApiVersion.split(".").map(Number) as [number, number];
    expect(major > 1 || minor >= 39).toBe(true);
    const info = (await client.info()) as { OSType: string; ServerVersion: string };
    expect(info.OSType).toBe("linux");
    expect(info.ServerVersion).toBe(version.Version);
  });

  it.each([
    ["BuildKit", "2"],
    ["the classic builder", "1"],
  ] as const)(
    "builds FROM the mirrored Debian stand-in with %s without pulling, and runs the result",
    async (_name, builder) => {
      const tag = `${uniqueName("cogts-env-build")}:latest`;
      madeImages.push(tag);
      const marker = uniqueName("built-by");
      await buildImage(
        tag,
        {
          Dockerfile: [
            `FROM ${mirrorOf("debian:bookworm-slim")}`,
            `RUN echo ${marker} > /marker`,
            `CMD ["sh", "-c", "cat /marker; echo to-stderr >&2; exit 3"]`,
          ].join("\n"),
        },
        { builder },
      );

      const result = await runInContainer(tag, ["sh", "-c", "cat /marker; echo to-stderr >&2; exit 3"]);
      expect(result).toEqual({ exitCode: 3, stdout: `${marker}\n`, stderr: "to-stderr\n" });
      const ok = await runInContainer(tag, ["true"]);
      expect(ok.exitCode).toBe(0);
    },
  );

  it("a FROM naming a base that has no stand-in fails the build with the engine's message", async () => {
    const tag = `${uniqueName("cogts-env-missing-base")}:latest`;
    const build = buildImage(tag, {
      Dockerfile: `FROM ${env.baseImageMirror}/library/no-such-base:${uniqueName("x")}\n`,
    });
    await expect(build).rejects.toThrow(/no-such-base/);
  });

  it("containers run on the host network (the engine has no bridge): they see the host's interfaces", async () => {
    const interfaces = (procNetDev: string) =>
      procNetDev
        .split("\n")
        .slice(2)
        .map((line) => line.split(":")[0]!.trim())
        .filter(Boolean)
        .sort();
    const result = await runInContainer(mirrorOf("debian:bookworm-slim"), ["cat", "/proc/net/dev"]);
    expect(result.exitCode).toBe(0);
    expect(interfaces(result.stdout)).toEqual(interfaces(await readFile("/proc/net/dev", "utf8")));
  });
});

describe("stand-in base images", () => {
  const standIns = [
    "debian:bookworm-slim",
    "node:20-bookworm-slim",
    "node:22-bookworm-slim",
    "node:24-bookworm-slim",
    "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04",
    "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04",
  ];

  it.each(standIns)("%s exists under its mirror name and its own name, labelled as a stand-in", async (name) => {
    const client = await dockerClient();
    const mirrored = await client.getImage(mirrorOf(name)).inspect();
    expect(mirrored.Config.Labels?.["org.cogts.stand-in"]).toBe("true");
    expect(mirrored.Config.Labels?.["org.cogts.stand-in.for"]).toBe(name);
    expect(mirrored.Config.Labels?.["org.opencontainers.image.description"]).toMatch(/^Stand-in for /);
    const plain = await client.getImage(name).inspect();
    expect(plain.Id).toBe(mirrored.Id);
  });

  it("GPU base stand-ins say that they are plain Debian", async () => {
    const client = await dockerClient();
    const image = await client.getImage(mirrorOf("nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04")).inspect();
    expect(image.Config.Labels?.["org.opencontainers.image.description"]).toMatch(/WITHOUT CUDA/);
    const osRelease = await runInContainer(mirrorOf("nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04"), [
      "cat",
      "/etc/os-release",
    ]);
    expect(osRelease.stdout).toContain("bookworm");
  });

  it.each([
    [20, 10],
    [22, 10],
    [24, 11],
  ])(
    "node:%i stand-in runs node -e and npm with the right majors, laid out like the official image",
    async (nodeMajor, npmMajor) => {
      const image = mirrorOf(`node:${nodeMajor}-bookworm-slim`);
      const node = await runInContainer(image, ["node", "-e", "console.log(process.versions.node, process.execPath)"]);
      expect(node.exitCode).toBe(0);
      const [nodeVersion, execPath] = node.stdout.trim().split(" ");
      expect(nodeVersion!.split(".")[0]).toBe(String(nodeMajor));
      expect(execPath).toBe("/usr/local/bin/node");
      const envVersion = await runInContainer(image, ["sh", "-c", 'echo "$NODE_VERSION"']);
      expect(envVersion.stdout.trim()).toBe(nodeVersion);

      const npm = await runInContainer(image, ["npm", "--version"]);
      expect(npm.exitCode).toBe(0);
      expect(npm.stdout.trim().split(".")[0]).toBe(String(npmMajor));

      const layout = await runInContainer(image, [
        "sh",
        "-c",
        "readlink /usr/local/bin/npm /usr/local/bin/npx; test -f /usr/local/lib/node_modules/npm/package.json && echo has-npm-package",
      ]);
      expect(layout.stdout).toBe(
        "../lib/node_modules/npm/bin/npm-cli.js\n../lib/node_modules/npm/bin/npx-cli.js\nhas-npm-package\n",
      );
      const npx = await runInContainer(image, ["npx", "--version"]);
      expect(npx.exitCode).toBe(0);
    },
  );

  it("`scripts/test-env standin` makes a stand-in for any other name on demand, idempotently", async () => {
    const name = `cogts-standin-check/${uniqueName("plain")}:v1`;
    madeImages.push(name, mirrorOf(name));
    await ensureStandIn(name);
    const client = await dockerClient();
    const first = await client.getImage(mirrorOf(name)).inspect();
    expect(first.Config.Labels?.["org.cogts.stand-in.for"]).toBe(name);
    expect((await client.getImage(name).inspect()).Id).toBe(first.Id);
    await ensureStandIn(name);
    expect((await client.getImage(mirrorOf(name)).inspect()).Id).toBe(first.Id);
  });

  it("`scripts/test-env standin` with a name it cannot read as node:<major> fails with a clear message", async () => {
    await expect(ensureStandIn("node:lts-bookworm-slim")).rejects.toThrow(
      /cannot tell the Node version of node:lts-bookworm-slim/,
    );
  });
});
