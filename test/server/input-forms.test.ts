/**
 * Cog 0.22's newer input and predictor forms, through the real server and a TypeScript predictor: TypeScript twins
 * of Cog's integration scenarios union_input_http, union_input_list_http, dict_input, list_dict_input,
 * typeddict_input, function_predictor, non_base_predictor_function and scope_context.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateSchema } from "../../src/schema/index.js";
import { request } from "../helpers/http.js";
import { startServerIn, type RunningServer } from "./helpers.js";

const dirs: string[] = [];
const servers: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A project with this predict.ts, its schema read by cogts (as cog build bakes it), served once it is ready. */
async function serve(
  source: string,
  ref = "predict.ts:Predictor",
): Promise<(body: unknown) => Promise<{ status: number; body: Record<string, unknown> }>> {
  const dir = mkdtempSync(join(tmpdir(), "cogts-input-forms-"));
  dirs.push(dir);
  writeFileSync(join(dir, "predict.ts"), source);
  writeFileSync(join(dir, "cog.yaml"), `build:\n  node_version: "22"\nrun: "${ref}"\n`);
  writeFileSync(join(dir, "openapi.json"), JSON.stringify(await generateSchema({ dir, predict: ref })));
  const server = await startServerIn(dir, { ref });
  servers.push(server);
  await server.waitFor("READY");
  return (body) => request(`${server.url}/predictions`, { method: "POST", body });
}

describe("union inputs (union_input_http, union_input_list_http)", () => {
  it("passes a string, a float and an integer through as they came; refuses booleans and objects", async () => {
    const predict = await serve(`import { BasePredictor, Input } from "cogts";
export class Predictor extends BasePredictor {
  async predict(value: string | number | null = Input({ default: null })): Promise<string> {
    return value === null ? "none" : \`\${typeof value}:\${JSON.stringify(value)}\`;
  }
}
`);
    expect((await predict({ input: { value: "hello" } })).body.output).toBe('string:"hello"');
    expect((await predict({ input: { value: 1.5 } })).body.output).toBe("number:1.5");
    expect((await predict({ input: { value: 1 } })).body.output).toBe("number:1");
    expect((await predict({ input: { value: "1" } })).body.output).toBe('string:"1"');
    expect((await predict({ input: {} })).body.output).toBe("none");
    for (const value of [true, { x: 1 }, [1]]) {
      const refused = await predict({ input: { value } });
      expect(refused.status).toBe(422);
      expect(refused.body.detail).toEqual([
        {
          loc: ["body", "input", "value"],
          msg: `${JSON.stringify(value)} is not valid under any of the given schemas`,
          type: "value_error",
        },
      ]);
    }
  });

  it("checks the elements of a list union and keeps integers integers", async () => {
    const predict = await serve(`import { BasePredictor, type Int } from "cogts";
export class Predictor extends BasePredictor {
  async predict(nums: Int[] | number[]): Promise<string> {
    return nums.length === 0 ? "empty" : \`\${Number.isInteger(nums[0]) ? "int" : "float"}:\${nums[0]}\`;
  }
}
`);
    expect((await predict({ input: { nums: [1] } })).body.output).toBe("int:1");
    expect((await predict({ input: { nums: [1.5] } })).body.output).toBe("float:1.5");
    expect((await predict({ input: { nums: [] } })).body.output).toBe("empty");
    for (const nums of [["3"], [true], 1]) expect((await predict({ input: { nums } })).status).toBe(422);
  });
});

describe("object inputs (dict_input, list_dict_input, typeddict_input)", () => {
  it("takes a Record<string, unknown>, an array of object types and an optional array of interfaces", async () => {
    const predict = await serve(`import { BasePredictor } from "cogts";
interface Payload { name: string; count: number }
export class Predictor extends BasePredictor {
  async predict(data: Record<string, unknown>, messages: { role: string; content: string }[] = [], items: Payload[] | null = null): Promise<string> {
    const parts = Object.keys(data).sort().map((key) => \`\${key}=\${String(data[key])}\`).join(", ");
    return [parts, messages.map((m) => \`\${m.role}: \${m.content}\`).join("\\n"), String(items?.length ?? "none")].join("|");
  }
}
`);
    const answer = await predict({
      input: {
        data: { greeting: "hello", count: 3 },
        messages: [
          { role: "user", content: "hello" },
          { role: "assistant", content: "hi" },
        ],
      },
    });
    expect(answer.body).toMatchObject({
      status: "succeeded",
      output: "count=3, greeting=hello|user: hello\nassistant: hi|none",
    });
    expect(
      (await predict({ input: { data: {}, messages: [], items: [{ name: "first", count: 1 }] } })).body.output,
    ).toBe("||1");
    expect((await predict({ input: { data: "x" } })).status).toBe(422);
    expect((await predict({ input: { data: {}, messages: [1] } })).body.detail).toEqual([
      { loc: ["body", "input", "messages/0"], msg: '1 is not of type "object"', type: "value_error" },
    ]);
    expect((await predict({ input: {} })).body.detail).toEqual([
      { loc: ["body", "input", "data"], msg: "Field required", type: "value_error.missing" },
    ]);
  });
});

describe("function predictors (function_predictor, non_base_predictor_function)", () => {
  it("runs an exported async function named by run:", async () => {
    const predict = await serve(
      `import { Input } from "cogts";
export async function run(prompt: string = Input()): Promise<string> {
  return \`HELLO \${prompt.toUpperCase()}\`;
}
`,
      "predict.ts:run",
    );
    expect((await predict({ input: { prompt: "world" } })).body).toMatchObject({
      status: "succeeded",
      output: "HELLO WORLD",
    });
    expect((await predict({ input: {} })).status).toBe(422);
  });

  it("runs a plain (sync) function and a const arrow function with defaults", async () => {
    const plain = await serve(
      `import { Input } from "cogts";
export function predict(text: string = Input({ default: "world" })): string {
  return \`hello \${text}\`;
}
`,
      "predict.ts:predict",
    );
    expect((await plain({ input: {} })).body.output).toBe("hello world");
    expect((await plain({ input: { text: "there" } })).body.output).toBe("hello there");
    const arrow = await serve(
      `export const predict = async (n: number = 2): Promise<number> => n * 2;\n`,
      "predict.ts:predict",
    );
    expect((await arrow({ input: {} })).body.output).toBe(4);
  });
});

describe("request context (scope_context)", () => {
  it("gives the predictor the request's context through currentScope(), {} without one", async () => {
    const predict = await serve(`import { BasePredictor, Input, currentScope } from "cogts";
export class Predictor extends BasePredictor {
  async predict(expect_empty: string = Input({ default: "false" })): Promise<string> {
    const context = currentScope()!.context;
    if (expect_empty === "true") return \`context_is_empty=\${Object.keys(context).length === 0}\`;
    return Object.keys(context).sort().map((key) => \`\${key}:\${context[key]}\`).join(", ");
  }
}
`);
    const answer = await predict({ input: {}, context: { region: "us-east-1", api_token: "secret123" } });
    expect(answer.body).toMatchObject({ status: "succeeded", output: "api_token:secret123, region:us-east-1" });
    expect((await predict({ input: { expect_empty: "true" } })).body.output).toBe("context_is_empty=true");
  });

  it("reaches a function predictor too", async () => {
    const predict = await serve(
      `import { currentScope } from "cogts";
export async function predict(): Promise<Record<string, string>> {
  return { ...currentScope()!.context };
}
`,
      "predict.ts:predict",
    );
    expect((await predict({ input: {}, context: { a: "1" } })).body.output).toEqual({ a: "1" });
    expect((await predict({})).body.output).toEqual({});
  });
});
