/** The files `cog init` writes: a predictor that runs as is, typed against the cogts SDK. */
import path from "node:path";
import { PACKAGE_ROOT } from "../../version.js";
import { DEFAULT_NODE_VERSION } from "../../config/index.js";

/**
 * How the new project lists cogts: a `file:` link to the cogts that runs this command (a global install, a clone),
 * so a plain `npm install` works where cogts is not on the registry, and the editor finds the SDK's types under
 * node_modules/cogts. Undefined when this cogts is already installed inside the project. The image never installs
 * it, whatever the spec (see src/dockerfile/npm-manifest.ts). Once cogts is published this becomes `^VERSION`.
 */
export function cogtsDependencySpec(projectDir: string, packageRoot = PACKAGE_ROOT): string | undefined {
  const dir = path.resolve(projectDir);
  const inside = path.relative(path.join(dir, "node_modules"), packageRoot);
  if (!inside.startsWith("..") && !path.isAbsolute(inside)) return undefined;
  const relative = path.relative(dir, packageRoot).split(path.sep).join("/");
  // npm writes file: specs relative to the project; one that climbs to the root reads better absolute.
  const climbs = relative.split("/").filter((part) => part === "..").length;
  return `file:${climbs > 2 ? packageRoot.split(path.sep).join("/") : relative}`;
}

/** The major Node version `@types/node` follows: the image's (cog.yaml's node_version). */
const TYPES_NODE_RANGE = `^${DEFAULT_NODE_VERSION}`;

export function initTemplates(projectName: string, projectDir = process.cwd()): Record<string, string> {
  const cogts = cogtsDependencySpec(projectDir);
  return {
    "cog.yaml": `# Configuration for cogts ⚙️ (Cog's cog.yaml, for a TypeScript predictor)
# Reference: https://cog.run/yaml

build:
  # set to true if your model requires a GPU
  gpu: false

  # the Node.js major version of the image
  node_version: "${DEFAULT_NODE_VERSION}"

  # a list of ubuntu apt packages to install
  # system_packages:
  #   - "libvips42"

  # commands run after the environment is set up
  # run:
  #   - "echo env is ready!"

# predict.ts defines how predictions are run on your model
run: "predict.ts:Predictor"
`,
    "predict.ts": `// Prediction interface for cogts ⚙️ (Cog's API, for TypeScript)
// https://cog.run/python

import { BasePredictor, Input, Path } from "cogts";

export class Predictor extends BasePredictor {
  /** Load the model into memory to make running multiple predictions efficient */
  override async setup(): Promise<void> {
    // this.model = await loadModel("./weights.onnx");
  }

  /** Run a single prediction on the model */
  async predict(
    prompt: string = Input({ description: "Text to process", default: "hello" }),
    scale: number = Input({ description: "Factor to scale image by", ge: 0, le: 10, default: 1.5 }),
    image: Path | null = Input({ description: "Optional image", default: null }),
  ): Promise<string> {
    const seen = image ? \` and an image at \${image.path}\` : "";
    return \`\${prompt} (scale \${scale})\${seen}\`;
  }
}
`,
    "package.json": `${JSON.stringify(
      {
        name: projectName,
        private: true,
        type: "module",
        dependencies: {},
        // typescript and @types/node for `npx tsc --noEmit` and the editor; none of these go into the image.
        devDependencies: { ...(cogts ? { cogts } : {}), "@types/node": TYPES_NODE_RANGE, typescript: "~5.9.3" },
      },
      null,
      2,
    )}\n`,
    "tsconfig.json": `${JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          skipLibCheck: true,
          noEmit: true,
        },
        include: ["**/*.ts"],
        exclude: ["node_modules"],
      },
      null,
      2,
    )}\n`,
    ".dockerignore": `# The following are never sent to the image build (cogts leaves these out anyway: node_modules, .git, .cog)
**/.git
**/.github
**/.gitignore
**/node_modules
*.log
.env
`,
  };
}
