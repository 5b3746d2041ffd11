/**
 * An author's first hour with the installed `cog` (the `npm pack` tarball installed globally, DOCKER_HOST unset):
 * `cog init` in an existing npm project, a type error reported by doctor and build (and skipped on request),
 * `cog exec` with the command's own flags, `-o` into a folder that does not exist, an unknown flag, cog.yaml's
 * `weights:` refused, and a Docker context followed (or named when its engine is gone). One project and one image
 * build for the whole file; no output may call a user's mistake "a bug in cogts".
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  docker,
  freshDir,
  globalInstall,
  imageName,
  packCogts,
  readmeInstallBlocks,
  removeDir,
  removeImages,
  shell,
  userEnv,
  type ShellResult,
} from "./helpers.js";

const TIMEOUT = 15 * 60_000;
const DEFAULT_SOCKET = "/var/run/docker.sock";

/** The author's project before cogts: a script, a dependency, four-space JSON and a predictor of its own. */
const PACKAGE_JSON = `${JSON.stringify({ name: "sentiment", version: "2.1.0", scripts: { test: "node --test" }, dependencies: { ms: "2.1.3" } }, null, 4)}\n`;
const PREDICTOR = `import { BasePredictor, Input } from "cogts";

export class Predictor extends BasePredictor {
  async predict(text: string = Input({ description: "Text to rate" })): Promise<string> {
    return text.length > 3 ? "positive" : "negative";
  }
}
`;
// Line 5, column 11 is \`size\`: a string assigned to a number (TS2322).
const BROKEN = PREDICTOR.replace("    return text", "    const size: number = text;\n    return size > 3 && text");

/** A DOCKER_CONFIG whose current context `name` points at `host`, laid out as `docker context create` writes it. */
async function contextConfig(root: string, name: string, host: string): Promise<string> {
  const dir = path.join(root, `docker-config-${name}`);
  const meta = path.join(dir, "contexts", "meta", createHash("sha256").update(name).digest("hex"));
  await mkdir(meta, { recursive: true });
  await writeFile(path.join(dir, "config.json"), JSON.stringify({ auths: {}, currentContext: name }));
  await writeFile(
    path.join(meta, "meta.json"),
    JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }),
  );
  return dir;
}

describe("an author's first hour with the installed cog, DOCKER_HOST unset", () => {
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let scratch: string;
  const image = imageName("first-hour");
  const outputs: string[] = [];

  /** Runs `cog ...` in the project as the user's shell would, keeping every output for the "bug in cogts" check. */
  async function cog(args: string, extra: Record<string, string> = {}): Promise<ShellResult> {
    const result = await shell(`cog ${args}`, { cwd: dir, env: { ...env, ...extra }, allowFailure: true });
    outputs.push(`$ cog ${args}\n${result.stdout}${result.stderr}`);
    return result;
  }

  beforeAll(async () => {
    const packed = await packCogts();
    const prefix = await globalInstall(packed, readmeInstallBlocks()[0]![1]!);
    scratch = await freshDir("first-hour-scratch");
    // An empty DOCKER_CONFIG: the user never ran `docker context use`, so the default socket is where cogts looks.
    const emptyConfig = path.join(scratch, "docker-config-empty");
    await mkdir(emptyConfig);
    env = userEnv({ PATH: `${path.join(prefix, "bin")}:${process.env.PATH}`, DOCKER_CONFIG: emptyConfig });
    dir = await freshDir("first-hour", { "package.json": PACKAGE_JSON, "predict.ts": PREDICTOR });
  }, TIMEOUT);

  afterAll(async () => {
    await removeImages(image);
    await removeDir(dir);
    await removeDir(scratch);
  });

  it(
    "cog init in an existing npm project skips what exists, lists its package.json additions, prints the next commands",
    async () => {
      expect(env.DOCKER_HOST).toBeUndefined();
      const init = await cog("init");
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toContain("Created cog.yaml\n");
      expect(init.stdout).toContain("Skipped existing predict.ts\n");
      expect(init.stdout).toContain("Updated package.json:\n");
      expect(init.stdout).toContain('added "type": "module"');
      expect(init.stdout).toMatch(/added devDependencies\.cogts "file:[^"]+"/);
      expect(init.stdout).toMatch(
        /Next:\n {2}npm install +# .*\n {2}cog doctor --no-docker +# .*\n {2}cog run --no-docker -i NAME=VALUE +# .*\n {2}cog build +# /,
      );
      // The author's files are as they were; package.json keeps its script, dependency and indentation.
      expect(await readFile(path.join(dir, "predict.ts"), "utf8")).toBe(PREDICTOR);
      const manifest = await readFile(path.join(dir, "package.json"), "utf8");
      expect(manifest).toMatch(/^{\n {4}"name": "sentiment"/);
      expect(JSON.parse(manifest)).toMatchObject({
        scripts: { test: "node --test" },
        dependencies: { ms: "2.1.3" },
        type: "module",
      });

      // The project runs at once, and -o writes into a folder that does not exist yet.
      const ran = await cog("run --no-docker -i text=wonderful -o results/today/rating.txt");
      expect(ran.code, ran.stderr).toBe(0);
      expect(await readFile(path.join(dir, "results", "today", "rating.txt"), "utf8")).toBe("positive");
      // The image this file builds, under a name of this run (cog exec builds it).
      await writeFile(
        path.join(dir, "cog.yaml"),
        `${await readFile(path.join(dir, "cog.yaml"), "utf8")}image: ${image}\n`,
      );
    },
    TIMEOUT,
  );

  it(
    "reports a type error at file:line:col in doctor and build, before the engine; --skip-typecheck goes on to it",
    async () => {
      await writeFile(path.join(dir, "predict.ts"), BROKEN);
      const where = "predict.ts:5:11: Type 'string' is not assignable to type 'number'. (TS2322)";
      const doctor = await cog("doctor");
      expect(doctor.code).toBe(1);
      expect(`${doctor.stdout}${doctor.stderr}`).toContain(where);

      // The current context points at a socket where nothing listens: the type check stops the build before it.
      const socket = path.join(scratch, "no-engine.sock");
      const gone = { DOCKER_CONFIG: await contextConfig(scratch, "gone-engine", `unix://${socket}`) };
      const build = await cog(`build -t ${image}`, gone);
      expect(build.code).toBe(1);
      expect(build.stderr).toContain(
        "The project's TypeScript has 1 error (fix it, or build anyway with --skip-typecheck)",
      );
      expect(build.stderr).toContain(where);
      expect(build.stderr).not.toContain(socket);

      // Skipped, the build reaches the engine, and the missing one is one line naming the context: item 1's error.
      const skipped = await cog(`build -t ${image} --skip-typecheck`, gone);
      expect(skipped.code).toBe(1);
      expect(skipped.stderr).not.toContain("TS2322");
      expect(skipped.stderr.trimEnd().split("\n")).toEqual([
        expect.stringMatching(
          new RegExp(
            `^Error: No Docker engine at unix://${socket.replace(/[.]/g, "\\.")} \\(from Docker context "gone-engine"\\): start one`,
          ),
        ),
      ]);
      await writeFile(path.join(dir, "predict.ts"), PREDICTOR);
    },
    TIMEOUT,
  );

  it(
    "follows a Docker context to the default socket; cog exec builds the image and gives flags after CMD to CMD",
    async () => {
      const context = { DOCKER_CONFIG: await contextConfig(scratch, "cogts-first-hour", `unix://${DEFAULT_SOCKET}`) };
      const doctor = await cog("doctor", context);
      expect(doctor.stdout).toContain(
        `at unix://${DEFAULT_SOCKET} (Docker context "cogts-first-hour"), BuildKit available.`,
      );
      expect(doctor.code, `${doctor.stdout}${doctor.stderr}`).toBe(0);

      // As the user types it: no flag of cog exec's own, node's -e after the command (build progress is on stderr).
      const exec = await cog("exec node -e 'console.log(42)'", context);
      expect(exec.code, exec.stderr.slice(-2000)).toBe(0);
      expect(exec.stdout.trim()).toBe("42");
      expect(await docker(["image", "inspect", "--format", "{{.Id}}", image])).toMatch(/^sha256:/);
    },
    TIMEOUT,
  );

  it(
    "answers an unknown flag in one line with exit 2, and refuses weights: in cog.yaml at its line and column",
    async () => {
      const typo = await cog("build --tga x");
      expect(typo.code).toBe(2);
      expect(typo.stderr.trimEnd().split("\n")).toEqual([
        expect.stringContaining("unknown flag --tga for cog build. Did you mean --tag?"),
      ]);
      const cogOnly = await cog("build --use-cuda-base-image false");
      expect(cogOnly.code).toBe(2);
      expect(cogOnly.stderr.trimEnd().split("\n")).toEqual([
        expect.stringContaining("--use-cuda-base-image is a flag of Cog's cog build that cogts does not have"),
      ]);

      // Cog's managed weights as its docs write them (a bundle push: model instead of image, weights beside it).
      const yaml = await readFile(path.join(dir, "cog.yaml"), "utf8");
      const withoutImage = yaml.replace(/^image: .*\n/m, "");
      const modelLine = withoutImage.split("\n").length;
      const weights = "weights:\n  - name: base\n    target: /src/weights\n    source:\n      uri: hf://someone/repo\n";
      await writeFile(path.join(dir, "cog.yaml"), `${withoutImage}model: r8.im/someone/sentiment\n${weights}`);
      for (const command of ["run --no-docker -i text=x", "build"]) {
        const refused = await cog(command);
        expect(refused.code, command).toBe(1);
        expect(refused.stderr, command).toContain(
          `cog.yaml:${modelLine}:1: model (the repository of a Cog bundle push`,
        );
        expect(refused.stderr, command).toContain(`cog.yaml:${modelLine + 1}:1: weights (Cog's managed weights`);
      }
      await writeFile(path.join(dir, "cog.yaml"), yaml);
      expect(existsSync(path.join(dir, "results", "today", "rating.txt"))).toBe(true);
    },
    TIMEOUT,
  );

  it("never calls any of it a bug in cogts", () => {
    expect(outputs.length).toBeGreaterThanOrEqual(10);
    for (const output of outputs) expect(output).not.toMatch(/bug in cogts/i);
  });
});
