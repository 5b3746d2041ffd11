/**
 * Cog 0.22's newer input and predictor forms with a Python predictor, through the cogts server and Python worker:
 * twins of Cog's integration scenarios union_input_http, union_input_list_http, dict_input, list_dict_input,
 * typing_dict_input, typeddict_input, function_predictor and scope_context, with the outputs they expect.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateSchema } from "../../src/schema/index.js";
import { request } from "../helpers/http.js";
import { startServerIn, type RunningServer } from "../server/helpers.js";

const dirs: string[] = [];
const servers: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A project with this predict.py, its schema read by cogts's tree-sitter reader, served once it is ready. */
async function serve(
  source: string,
  ref = "predict.py:Predictor",
): Promise<(body: unknown) => Promise<{ status: number; body: Record<string, unknown> }>> {
  const dir = mkdtempSync(join(tmpdir(), "cogts-py-input-forms-"));
  dirs.push(dir);
  writeFileSync(join(dir, "predict.py"), source);
  writeFileSync(join(dir, "cog.yaml"), `build:\n  python_version: "3.12"\npredict: "${ref}"\n`);
  const schema = join(dir, "openapi.json");
  writeFileSync(schema, JSON.stringify(await generateSchema({ dir, predict: ref })));
  const server = await startServerIn(dir, { ref, env: { COG_OPENAPI_SCHEMA: schema } });
  servers.push(server);
  await server.waitFor("READY");
  return (body) => request(`${server.url}/predictions`, { method: "POST", body });
}

describe("Python union inputs", () => {
  it("str | float | None: a string, a float and an int arrive as they came; booleans and objects get 422", async () => {
    const predict = await serve(`from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def predict(self, value: str | float | None = Input(default=None)) -> str:
        if value is None:
            return "NoneType:none"
        return type(value).__name__ + ":" + str(value)
`);
    expect((await predict({ input: { value: "hello" } })).body.output).toBe("str:hello");
    expect((await predict({ input: { value: 1.5 } })).body.output).toBe("float:1.5");
    expect((await predict({ input: { value: 1 } })).body.output).toBe("int:1");
    expect((await predict({ input: {} })).body.output).toBe("NoneType:none");
    expect((await predict({ input: { value: true } })).status).toBe(422);
    expect((await predict({ input: { value: { x: 1 } } })).status).toBe(422);
  });

  it("list[int] | list[float]: element types are checked, an int element stays an int", async () => {
    const predict = await serve(`from cog import BasePredictor


class Predictor(BasePredictor):
    def predict(self, nums: list[int] | list[float]) -> str:
        return type(nums[0]).__name__ + ":" + str(nums[0]) if nums else "empty"
`);
    expect((await predict({ input: { nums: [1] } })).body.output).toBe("int:1");
    expect((await predict({ input: { nums: [1.5] } })).body.output).toBe("float:1.5");
    expect((await predict({ input: { nums: [] } })).body.output).toBe("empty");
    for (const nums of [["3"], [true], 1]) expect((await predict({ input: { nums } })).status).toBe(422);
  });
});

describe("Python dict inputs", () => {
  it("dict, list[dict], Dict[str, Any], List[Dict[str, Any]] and TypedDict inputs", async () => {
    const predict = await serve(`from typing import Any, Dict, List, TypedDict

from cog import BasePredictor


class Payload(TypedDict):
    name: str
    count: int


class Predictor(BasePredictor):
    def predict(
        self,
        data: dict,
        messages: list[dict],
        typed: Dict[str, Any],
        rows: List[Dict[str, Any]],
        payload: Payload,
        payloads: list[Payload] | None = None,
    ) -> str:
        pairs = ", ".join(f"{k}={v}" for k, v in sorted(data.items()))
        chat = "\\n".join(f"{m['role']}: {m['content']}" for m in messages)
        return f"{pairs}|{chat}|typed={len(typed)} rows={len(rows)}|{payload['name']}:{payload['count']} items={len(payloads or [])}"
`);
    const answer = await predict({
      input: {
        data: { greeting: "hello", count: 3 },
        messages: [
          { role: "user", content: "hello" },
          { role: "assistant", content: "hi" },
        ],
        typed: { name: "alice" },
        rows: [{ id: 1 }, { id: 2 }],
        payload: { name: "alice", count: 2 },
        payloads: [
          { name: "first", count: 1 },
          { name: "second", count: 3 },
        ],
      },
    });
    expect(answer.body).toMatchObject({
      status: "succeeded",
      output: "count=3, greeting=hello|user: hello\nassistant: hi|typed=1 rows=2|alice:2 items=2",
    });
    const empty = await predict({
      input: { data: {}, messages: [], typed: {}, rows: [], payload: { name: "x", count: 0 } },
    });
    expect(empty.body.output).toBe("||typed=0 rows=0|x:0 items=0");
    expect((await predict({ input: { data: [], messages: [], typed: {}, rows: [], payload: {} } })).status).toBe(422);
  });
});

describe("Python function predictors and context", () => {
  it("runs a bare function named by predict:", async () => {
    const predict = await serve(
      `from cog import Input


def run(prompt: str = Input()) -> str:
    return f"HELLO {prompt.upper()}"
`,
      "predict.py:run",
    );
    expect((await predict({ input: { prompt: "world" } })).body).toMatchObject({
      status: "succeeded",
      output: "HELLO WORLD",
    });
  });

  it("gives current_scope().context the request's context, an empty dict without one, also in a function", async () => {
    const predict = await serve(
      `from cog import Input, current_scope


def predict(expect_empty: str = Input(default="false")) -> str:
    ctx = current_scope().context
    if expect_empty == "true":
        return f"context_is_empty={len(ctx) == 0}"
    return ", ".join(f"{k}:{v}" for k, v in sorted(ctx.items()))
`,
      "predict.py:predict",
    );
    const answer = await predict({ input: {}, context: { api_token: "secret123", region: "us-east-1" } });
    expect(answer.body).toMatchObject({ status: "succeeded", output: "api_token:secret123, region:us-east-1" });
    expect((await predict({ input: { expect_empty: "true" } })).body.output).toBe("context_is_empty=True");
  });
});
