/**
 * `cog schema` and `cog doctor --no-docker` on a Python project, through the real CLI entry point: the schema comes
 * from the tree-sitter reader (with the config's line for a bad ref), doctor reports Python problems with
 * predict.py:LINE:COL, and cog.yaml's Python keys are checked.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMain } from "../helpers/cli.js";

const PREDICT_PY = `from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def predict(self, text: str = Input(description="Text", default="hi")) -> str:
        return text
`;
const COG_YAML = 'build:\n  python_version: "3.11"\nrun: "predict.py:Predictor"\n';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "cogts-pycli-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function cog(dir: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await runMain(args, dir);
  return { code, out: stdout, err: stderr };
}

describe("cog schema and cog doctor on a Python predictor", () => {
  it("cog schema prints the document read from predict.py", async () => {
    const { code, out } = await cog(project({ "cog.yaml": COG_YAML, "predict.py": PREDICT_PY }), "schema");
    expect(code).toBe(0);
    const input = JSON.parse(out).components.schemas.Input;
    expect(input.properties.text).toEqual({
      default: "hi",
      description: "Text",
      title: "Text",
      type: "string",
      "x-order": 0,
    });
  });

  it("cog schema exits 1 with predict.py:LINE:COL for an unsupported type", async () => {
    const bad = PREDICT_PY.replace("text: str = Input", "text: set[str] = Input");
    const { code, err } = await cog(project({ "cog.yaml": COG_YAML, "predict.py": bad }), "schema");
    expect(code).toBe(1);
    expect(err).toContain('predict.py:5:29: input "text" has unsupported type `set[str]`');
  });

  it("cog doctor --no-docker passes a valid Python project and names its Python version", async () => {
    const { code, out, err } = await cog(
      project({ "cog.yaml": COG_YAML, "predict.py": PREDICT_PY }),
      "doctor",
      "--no-docker",
    );
    expect(out + err).toContain("Python 3.11");
    expect(out + err).toContain("The OpenAPI schema of the predictor generates");
    expect(code).toBe(0);
  });

  it("cog doctor reports a missing method with predict.py:LINE:COL", async () => {
    const bad = PREDICT_PY.replace("def predict(", "def predikt(");
    const { code, out, err } = await cog(project({ "cog.yaml": COG_YAML, "predict.py": bad }), "doctor", "--no-docker");
    expect(out + err).toContain("predict.py:4:7: class Predictor has no run() or predict() method");
    expect(code).toBe(1);
  });

  it("cog debug prints the Dockerfile of a Python predictor's image (issue 18 part 2)", async () => {
    // The Dockerfile a user with internet gets: an empty --base-image-mirror means none, whatever
    // COGTS_BASE_IMAGE_MIRROR says (the test environment sets it).
    const { code, out } = await cog(
      project({ "cog.yaml": COG_YAML, "predict.py": PREDICT_PY }),
      "debug",
      "--base-image-mirror=",
    );
    expect(code).toBe(0);
    expect(out).toContain("FROM python:3.11-slim");
    expect(out).toContain('ENV COG_PREDICT_TYPE_STUB="predict.py:Predictor"');
  });

  it("cog doctor rejects a Node.js key beside a Python predictor, and Python keys beside a TypeScript one", async () => {
    const node = await cog(
      project({ "cog.yaml": COG_YAML.replace("build:\n", 'build:\n  node_version: "22"\n'), "predict.py": PREDICT_PY }),
      "doctor",
      "--no-docker",
    );
    expect(node.out + node.err).toContain(
      "cog.yaml:2:3: build.node_version is a Node.js setting, but the predictor is a Python file",
    );
    expect(node.code).toBe(1);
    const ts = await cog(
      project({
        "cog.yaml": 'build:\n  python_version: "3.11"\nrun: "predict.ts:Predictor"\n',
        "predict.ts": "export class Predictor {}\n",
      }),
      "doctor",
      "--no-docker",
    );
    expect(ts.out + ts.err).toContain(
      "cog.yaml:2:3: build.python_version is a Python setting: the predictor is TypeScript",
    );
    expect(ts.code).toBe(1);
  });
});
