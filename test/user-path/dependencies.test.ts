/**
 * Every way a project can list cogts builds, and builds the same image as a project that does not list it at all:
 * the predictor runs on the runtime bundled into /opt/cogts (one SDK: an input `Path` is `instanceof Path`),
 * cogts's toolchain never lands in the image, and the image is no bigger (a few KB of package.json aside).
 *
 * Each project has a real dependency (`ms`) beside cogts, so the pruned lockfile must still install it. The
 * lockfiles are written by npm itself (`--package-lock-only`: the image build reads only package.json and the
 * lockfile; node_modules never goes into the build context). DOCKER_HOST is unset for every command.
 */
import { cp, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freshDir,
  globalInstall,
  imageName,
  imageSize,
  packCogts,
  readmeInstallBlocks,
  removeDir,
  removeImages,
  shell,
  userEnv,
  type Packed,
} from "./helpers.js";

const TIMEOUT = 15 * 60_000;
/** package.json differences (a few lines of JSON) show up in the code layer; nothing else may. */
const SIZE_TOLERANCE_BYTES = 8 * 1024;

const PREDICTOR = `import { existsSync } from "node:fs";
import { BasePredictor, Input, Path } from "cogts";
import ms from "ms";

export class Predictor extends BasePredictor {
  async predict(file: Path = Input({ description: "any file" })): Promise<string> {
    const toolchain = ["typescript", "ts-morph", "dockerode", "ssh2"].filter(
      (name) => existsSync(\`/src/node_modules/\${name}\`) || existsSync(\`/opt/cogts/node_modules/\${name}\`),
    );
    return JSON.stringify({ isPath: file instanceof Path, ms: ms(60000), toolchain });
  }
}
`;
const COG_YAML = 'build:\n  node_version: "22"\nrun: "predict.ts:Predictor"\n';

interface Form {
  name: string;
  /** Writes the project into `dir` (package.json and, where npm can make one, a lockfile). */
  make(dir: string, packed: Packed, env: NodeJS.ProcessEnv): Promise<string>;
  /** Also run a prediction in the image (the rest only compare sizes, as the layers are the same). */
  predict?: boolean;
}

function manifest(extra: object): string {
  return `${JSON.stringify({ name: "model", private: true, type: "module", dependencies: { ms: "2.1.3" }, ...extra }, null, 2)}\n`;
}

async function modelFiles(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "cog.yaml"), COG_YAML);
  await writeFile(path.join(dir, "predict.ts"), PREDICTOR);
}

const lockOnly = (dir: string, env: NodeJS.ProcessEnv) =>
  shell("npm install --package-lock-only --ignore-scripts", { cwd: dir, env });

const FORMS: Form[] = [
  {
    name: "tarball outside the project, in dependencies",
    predict: true,
    async make(dir, packed, env) {
      await writeFile(
        path.join(dir, "package.json"),
        manifest({ dependencies: { ms: "2.1.3", cogts: `file:${packed.tarball}` } }),
      );
      await lockOnly(dir, env);
      return dir;
    },
  },
  {
    name: "tarball inside the project, in devDependencies",
    async make(dir, packed, env) {
      await cp(packed.tarball, path.join(dir, "vendor", path.basename(packed.tarball)));
      await writeFile(
        path.join(dir, "package.json"),
        manifest({ devDependencies: { cogts: `file:vendor/${path.basename(packed.tarball)}` } }),
      );
      await lockOnly(dir, env);
      return dir;
    },
  },
  {
    name: "a registry range (cogts is not on the registry), in dependencies, no lockfile",
    predict: true,
    async make(dir) {
      await writeFile(path.join(dir, "package.json"), manifest({ dependencies: { ms: "2.1.3", cogts: "^0.1.0" } }));
      return dir;
    },
  },
  {
    name: "a folder link to an unpacked cogts (file:../cogts), in devDependencies",
    async make(dir, packed, env) {
      const unpacked = path.join(path.dirname(dir), `${path.basename(dir)}-cogts`);
      await mkdir(unpacked, { recursive: true });
      await shell(`tar -xzf ${JSON.stringify(packed.tarball)} -C ${JSON.stringify(unpacked)} --strip-components=1`, {
        cwd: dir,
        env,
      });
      await writeFile(
        path.join(dir, "package.json"),
        manifest({ devDependencies: { cogts: `file:../${path.basename(unpacked)}` } }),
      );
      await lockOnly(dir, env);
      return dir;
    },
  },
  {
    name: "an npm workspace (lockfile at the workspace root)",
    async make(dir, packed, env) {
      await writeFile(
        path.join(dir, "package.json"),
        `${JSON.stringify({ name: "root", private: true, workspaces: ["model"] }, null, 2)}\n`,
      );
      const model = path.join(dir, "model");
      await modelFiles(model);
      await writeFile(
        path.join(model, "package.json"),
        manifest({ devDependencies: { cogts: `file:${packed.tarball}` } }),
      );
      await lockOnly(dir, env);
      return model;
    },
  },
];

describe("any way a project lists cogts builds the same image as not listing it", () => {
  let packed: Packed;
  let env: NodeJS.ProcessEnv;
  const dirs: string[] = [];
  const images: string[] = [];
  let baselineSize = 0;

  async function build(dir: string, label: string): Promise<string> {
    const image = imageName(label);
    images.push(image);
    await shell(`cog build -t ${image}`, { cwd: dir, env });
    return image;
  }

  beforeAll(async () => {
    packed = await packCogts();
    const prefix = await globalInstall(packed, readmeInstallBlocks()[0]![1]!);
    env = userEnv({ PATH: `${path.join(prefix, "bin")}:${process.env.PATH}` });
    const baseline = await freshDir("deps-none");
    dirs.push(baseline);
    await modelFiles(baseline);
    await writeFile(path.join(baseline, "package.json"), manifest({}));
    await lockOnly(baseline, env);
    baselineSize = await imageSize(await build(baseline, "deps-none"));
  }, TIMEOUT);

  afterAll(async () => {
    await removeImages(...images);
    for (const dir of dirs) await removeDir(dir);
    for (const dir of dirs) await removeDir(`${dir}-cogts`);
  });

  for (const form of FORMS) {
    it(
      form.name,
      async () => {
        const root = await freshDir("deps");
        dirs.push(root);
        await modelFiles(root);
        const dir = await form.make(root, packed, env);
        const image = await build(dir, "deps");
        const size = await imageSize(image);
        expect(
          Math.abs(size - baselineSize),
          `${size} bytes against ${baselineSize} without cogts listed`,
        ).toBeLessThanOrEqual(SIZE_TOLERANCE_BYTES);
        if (!form.predict) return;
        await writeFile(path.join(dir, "input.txt"), "some text\n");
        const result = await shell(`cog run ${image} -i file=@input.txt`, { cwd: dir, env });
        expect(JSON.parse(result.stdout)).toEqual({ isPath: true, ms: "1m", toolchain: [] });
      },
      TIMEOUT,
    );
  }
});
