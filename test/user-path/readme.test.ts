/**
 * The README's Install section followed word for word, as a new user would: the packed tarball installed globally,
 * `cog init` in a fresh folder, `npm install`, a first prediction with --no-docker, `cog build`, `cog run` in
 * Docker, all with DOCKER_HOST unset; then the built image pushed to the test registry and pulled back.
 *
 * The first line of the section (`npm ci && npm pack` in the clone) is what packCogts() does for the whole run;
 * every other line runs verbatim. `~` is a temporary HOME, and the global prefix a folder of this run.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  docker,
  freshDir,
  globalInstall,
  imageName,
  packCogts,
  readJson,
  readmeInstallBlocks,
  removeDir,
  removeImages,
  shell,
  userEnv,
} from "./helpers.js";

const TIMEOUT = 15 * 60_000;

describe("the README's install path, word for word", () => {
  let home: string | undefined;
  let env: NodeJS.ProcessEnv;
  let project: string;
  const pushed = `${process.env.COGTS_TEST_REGISTRY ?? "127.0.0.1:5100"}/${imageName("readme")}`;
  const built: string[] = [];

  beforeAll(async () => {
    const [clone, newProject] = readmeInstallBlocks();
    expect(clone![0]).toBe("npm ci && npm pack");
    const packed = await packCogts();
    // The tarball name the README gives is the one npm pack writes for this version.
    expect(clone![1]).toBe(`npm install -g ./${path.basename(packed.tarball)}`);
    const prefix = await globalInstall(packed, clone![1]!);
    home = await freshDir("home");
    env = userEnv({ HOME: home, npm_config_prefix: prefix, PATH: `${path.join(prefix, "bin")}:${process.env.PATH}` });
    expect(newProject![0]).toMatch(/^mkdir ~\/my-model && cd ~\/my-model && cog init && npm install$/);
    project = path.join(home, "my-model");
  }, TIMEOUT);

  afterAll(async () => {
    await removeImages(...built, pushed);
    await removeDir(home);
  });

  it(
    "scaffolds a project whose plain npm install works and whose TypeScript resolves the cogts types",
    async () => {
      const [, lines] = readmeInstallBlocks();
      await shell(lines![0]!, { cwd: home!, env });
      const pkg = await readJson<{ devDependencies: Record<string, string> }>(path.join(project, "package.json"));
      expect(pkg.devDependencies.cogts).toMatch(/^file:/);
      // tsc finds `cogts` in node_modules (what an editor does): the predictor type-checks against the SDK's types...
      const listed = await shell("npx tsc --noEmit --listFiles", { cwd: project, env });
      expect(listed.stdout).toMatch(/node_modules\/cogts\/dist\/runtime\/sdk\/index\.d\.ts/);
      // ...and a misuse of them is an error, so the types are really read (not `any` from an unresolved module).
      await shell(`printf 'import { Path } from "cogts";\\nexport const p: Path = 42;\\n' > misuse.ts`, {
        cwd: project,
        env,
      });
      const misuse = await shell("npx tsc --noEmit", { cwd: project, env, allowFailure: true });
      expect(misuse.code).not.toBe(0);
      expect(misuse.stdout).toMatch(/misuse\.ts\(2,14\): error TS2322: Type 'number' is not assignable to type 'Path'/);
      await shell("rm misuse.ts", { cwd: project, env });
    },
    TIMEOUT,
  );

  it(
    "gives a first prediction on this machine",
    async () => {
      const [, lines] = readmeInstallBlocks();
      const result = await shell(lines![1]!, { cwd: project, env });
      expect(result.stdout.trim()).toBe("hello (scale 1.5)");
    },
    TIMEOUT,
  );

  it(
    "builds the image and runs the same prediction in its container, DOCKER_HOST unset",
    async () => {
      const [, lines] = readmeInstallBlocks();
      expect(env.DOCKER_HOST).toBeUndefined();
      built.push("cog-my-model");
      const result = await shell(lines![2]!, { cwd: project, env });
      expect(result.stdout.trim()).toBe("hello (scale 1.5)");
      expect(result.stderr).toMatch(/Image built as cog-my-model/);
    },
    TIMEOUT,
  );

  it(
    "pushes the built image to a registry and pulls it back",
    async () => {
      await docker(["tag", "cog-my-model", pushed]);
      const result = await shell(`cog push ${pushed} --no-build`, { cwd: project, env });
      expect(result.stdout).toMatch(new RegExp(`${pushed.replace(/[.]/g, "\\.")}@sha256:[0-9a-f]{64}`));
      // Gone from the engine, then back from the registry.
      await docker(["image", "rm", pushed]);
      await docker(["pull", pushed]);
      const ran = await shell(`cog run ${pushed} -i prompt=pulled`, { cwd: project, env });
      expect(ran.stdout.trim()).toBe("pulled (scale 1.5)");
    },
    TIMEOUT,
  );
});
