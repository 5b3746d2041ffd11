/**
 * What runs locally runs in the image: one module-resolution rule for `cog run --no-docker`, `cog serve` and the
 * built image (an extensionless relative import in an ES-module project is refused by all of them, and by
 * `cog doctor`, at its file:line:col with the fix); stack traces from the image name the author's .ts lines; a
 * file input reaches the predictor under its own name and type, in Docker as on the host. DOCKER_HOST unset.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freshDir,
  globalInstall,
  imageName,
  packCogts,
  readmeInstallBlocks,
  removeDir,
  removeImages,
  shell,
  userEnv,
} from "./helpers.js";

const TIMEOUT = 15 * 60_000;

// The interface is erased in the JavaScript, so the throw sits on a different line there than here (line 7).
const HELPER = `export interface Options {
  fail: boolean;
  reason: string;
}

export function check(options: Options): void {
  if (options.fail) throw new Error(\`asked to fail: \${options.reason}\`);
}
`;

function predictor(helperSpecifier: string): string {
  return `import { BasePredictor, Input, Path } from "cogts";
import { check } from "${helperSpecifier}";
import { basename } from "node:path";

export class Predictor extends BasePredictor {
  async predict(image: Path = Input({ description: "a file" }), fail: boolean = Input({ default: false })): Promise<string> {
    check({ fail, reason: "test" });
    return basename(image.path);
  }
}
`;
}

const FILES = {
  "cog.yaml": 'build:\n  node_version: "22"\nrun: "predict.ts:Predictor"\n',
  "package.json": `${JSON.stringify({ name: "resolution", private: true, type: "module" }, null, 2)}\n`,
  "helper.ts": HELPER,
  // PNG magic and nothing else: what matters is the name and type the predictor sees.
  "photo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
};

describe("one module-resolution rule, source maps and file names everywhere a predictor runs", () => {
  let env: NodeJS.ProcessEnv;
  const dirs: string[] = [];
  const images: string[] = [];

  beforeAll(async () => {
    const packed = await packCogts();
    const prefix = await globalInstall(packed, readmeInstallBlocks()[0]![1]!);
    env = userEnv({ PATH: `${path.join(prefix, "bin")}:${process.env.PATH}` });
  }, TIMEOUT);

  afterAll(async () => {
    await removeImages(...images);
    for (const dir of dirs) await removeDir(dir);
  });

  it(
    "refuses an extensionless relative import in doctor, build, serve and --no-docker alike, with file:line:col and the fix",
    async () => {
      const dir = await freshDir("extensionless", { ...FILES, "predict.ts": predictor("./helper") });
      dirs.push(dir);
      const expected =
        /predict\.ts:2:23: "\.\/helper" names no file Node can load in an ES module .*: write "\.\/helper\.js"/;
      // cog build type-checks first, and the compiler names the same place and the same fix (TS2835).
      const typeChecked =
        /predict\.ts:2:23: Relative import paths need explicit file extensions .*Did you mean '\.\/helper\.js'\?/;
      const image = imageName("extensionless");
      images.push(image);
      for (const command of [
        "cog doctor",
        `cog build -t ${image}`,
        "cog run --no-docker -i image=@photo.png",
        "cog serve -p 1 --no-docker",
        "cog serve -p 1",
      ]) {
        const result = await shell(command, { cwd: dir, env, allowFailure: true });
        expect(result.code, command).toBe(1);
        expect(`${result.stdout}${result.stderr}`, command).toMatch(
          command.startsWith("cog build") ? typeChecked : expected,
        );
      }
    },
    TIMEOUT,
  );

  it(
    "runs the fixed import the same on the host and in the image: the file keeps its name, a stack names the .ts line",
    async () => {
      const dir = await freshDir("resolution", { ...FILES, "predict.ts": predictor("./helper.js") });
      dirs.push(dir);
      const local = await shell("cog run --no-docker -i image=@photo.png", { cwd: dir, env });
      expect(local.stdout.trim()).toBe("photo.png");

      const image = imageName("resolution");
      images.push(image);
      await shell(`cog build -t ${image}`, { cwd: dir, env });
      const inDocker = await shell(`cog run ${image} -i image=@photo.png`, { cwd: dir, env });
      expect(inDocker.stdout.trim()).toBe("photo.png");
      // A type the table does not know keeps its name too (it arrived as file.npy before).
      await writeFile(path.join(dir, "my data.bin"), "bytes");
      const unknownType = await shell(`cog run ${image} -i 'image=@my data.bin'`, { cwd: dir, env });
      expect(unknownType.stdout.trim()).toBe("my data.bin");

      const failed = await shell(`cog run ${image} -i image=@photo.png -i fail=true`, {
        cwd: dir,
        env,
        allowFailure: true,
      });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/asked to fail: test/);
      expect(failed.stderr).toMatch(/\/src\/helper\.ts:7:\d+/);
      expect(failed.stderr).toMatch(/\/src\/predict\.ts:7:\d+/);
    },
    TIMEOUT,
  );
});
