/** The files `cog init` writes: a predictor that runs as is, typed against the cogts SDK. */
import { COGTS_VERSION } from "../version.js";
import { DEFAULT_NODE_VERSION } from "../config/complete.js";

export function initTemplates(projectName: string): Record<string, string> {
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
        devDependencies: { cogts: `^${COGTS_VERSION}` },
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
