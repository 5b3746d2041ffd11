/**
 * Every example built into an image with `cog build` against the real engine (stand-in base images), run, and
 * checked over HTTP with real outputs: OCR text of a rendered PNG, image sizes and formats read back with sharp, a
 * WAV header, streamed tokens over SSE, classifier accuracy on its held-out set, trained weights that change
 * predictions. Also `cog run IMAGE` writing its output file.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demultiplexedText } from "../../src/docker/container.js";
import { dockerClient, requireTestEnv, uniqueName } from "../helpers/test-env.js";
import { COG_BIN } from "../helpers/cli.js";
import { exampleDir, importExample, loadSharp, renderTextPng, type Sharp } from "./helpers.js";
import { fromDataUrl, predict, streamPrediction, toDataUrl, waitUntilReady, type PredictionResponse } from "./http.js";
import { buildExample, removeImages, startImage, type RunningModel } from "./images.js";
import { parseWav } from "./wav.js";

const execFileAsync = promisify(execFile);
requireTestEnv();
const work = mkdtempSync(join(tmpdir(), "examples-docker-"));
const built: string[] = [];
let sharp: Sharp;

async function build(example: string, config = "cog.yaml"): Promise<string> {
  const tag = uniqueName(`cogts-example-${example}`);
  built.push(tag);
  await buildExample(example, tag, config);
  return tag;
}

async function serve(image: string, options: { cmd?: string[] } = {}): Promise<RunningModel> {
  const model = await startImage(image, options);
  try {
    await waitUntilReady(model.url, 180_000);
  } catch (error) {
    await model.stop();
    throw error;
  }
  return model;
}

function succeeded(response: PredictionResponse): unknown {
  expect(response.error ?? null, response.logs).toBeNull();
  expect(response.status).toBe("succeeded");
  return response.output;
}

beforeAll(async () => {
  sharp = await loadSharp();
}, 600_000);

afterAll(async () => {
  await removeImages(...built);
});

/**
 * Runs a script with node inside the image with no network at all (`NetworkMode: none`), proving the model needs
 * nothing from outside at run time. Resolves with the script's stdout.
 */
async function runOffline(image: string, script: string): Promise<string> {
  const client = await dockerClient();
  const container = await client.createContainer({
    Image: image,
    Entrypoint: ["node", "--input-type=module", "-e", script],
    Cmd: [],
    WorkingDir: "/src",
    HostConfig: { NetworkMode: "none" },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true })) as Buffer;
    const text = demultiplexedText(logs);
    if (StatusCode !== 0) throw new Error(`offline run exited ${StatusCode}: ${text}`);
    return text;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}


describe("ocr image", () => {
  let image: string;
  let model: RunningModel;
  let detailed: RunningModel;
  beforeAll(async () => {
    image = await build("ocr");
    model = await serve(image);
    detailed = await serve(await build("ocr", "cog.detailed.yaml"));
  }, 900_000);
  afterAll(async () => Promise.all([model?.stop(), detailed?.stop()]));

  it("reads the words of a PNG the test renders", async () => {
    const png = readFileSync(await renderTextPng(["Replicate packages", "models in containers"], join(work, "ocr.png")));
    const text = succeeded(await predict(model.url, { image: toDataUrl(png, "image/png") })) as string;
    expect(text).toContain("Replicate packages");
    expect(text).toContain("models in containers");
  });

  it("returns words with boxes from the detailed predictor, in French too", async () => {
    const png = readFileSync(await renderTextPng(["Bonjour le monde"], join(work, "fr.png")));
    const result = succeeded(await predict(detailed.url, { image: toDataUrl(png, "image/png"), language: "fra", page_segmentation: "single_line" })) as {
      text: string;
      words: { text: string; box: { x0: number; x1: number } }[];
    };
    expect(result.text).toBe("Bonjour le monde");
    expect(result.words.map((word) => word.text)).toEqual(["Bonjour", "le", "monde"]);
  });

  it("reads text with no network at all: languages and core come from the image", async () => {
    const png = readFileSync(await renderTextPng(["Offline works"], join(work, "offline.png"))).toString("base64");
    const script =
      `import { writeFileSync } from "node:fs";` +
      `writeFileSync("/tmp/offline.png", Buffer.from("${png}", "base64"));` +
      `const { Predictor } = await import("/src/predict.js");` +
      `const predictor = new Predictor(); await predictor.setup();` +
      `console.log("TEXT=" + await predictor.predict({ path: "/tmp/offline.png" }, "eng+fra", "single_line"));` +
      `process.exit(0);`;
    expect(await runOffline(image, script)).toContain("TEXT=Offline works");
  });

  it("refuses a language that is not one of the choices with a 422", async () => {
    const response = await fetch(`${model.url}/predictions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: { image: toDataUrl(Buffer.from("x"), "image/png"), language: "deu" } }),
    });
    expect(response.status).toBe(422);
    expect(JSON.stringify(await response.json())).toContain("language");
  });
});

describe("image-edit image", () => {
  let model: RunningModel;
  let sizes: RunningModel;
  let image: string;
  let source: string;
  beforeAll(async () => {
    image = await build("image-edit");
    model = await serve(image);
    sizes = await serve(await build("image-edit", "cog.sizes.yaml"));
    source = toDataUrl(readFileSync(join(exampleDir("image-edit"), "sample.jpg")), "image/jpeg");
  }, 900_000);
  afterAll(async () => Promise.all([model?.stop(), sizes?.stop()]));

  it.each([
    ["webp", 1280, "webp", 854],
    ["png", 320, "png", 214],
    ["jpg", 100, "jpeg", 66],
  ])("returns a %s of width %i, read back with sharp", async (format, width, sharpFormat, height) => {
    const output = succeeded(await predict(model.url, { image: source, width, output_format: format, output_quality: 60 }));
    const file = fromDataUrl(output);
    expect(await sharp(file.bytes).metadata()).toMatchObject({ width, height, format: sharpFormat });
  });

  it("returns one file per width from the list variant", async () => {
    const output = succeeded(await predict(sizes.url, { image: source, widths: [64, 128, 256], output_format: "png" })) as string[];
    const widths = await Promise.all(output.map(async (url) => (await sharp(fromDataUrl(url).bytes).metadata()).width));
    expect(widths).toEqual([64, 128, 256]);
  });

  it("works through `cog run IMAGE`, writing the output file", async () => {
    const output = join(work, "from-cog-run.png");
    await execFileAsync(process.execPath, [COG_BIN, "run", image, "-i", `image=@${join(exampleDir("image-edit"), "sample.jpg")}`, "-i", "width=200", "-i", "output_format=png", "-o", output], {
      cwd: work,
      timeout: 180_000,
    });
    expect(await sharp(output).metadata()).toMatchObject({ width: 200, format: "png" });
  });
});

describe("tts image", () => {
  let model: RunningModel;
  beforeAll(async () => {
    model = await serve(await build("tts"));
  }, 900_000);
  afterAll(async () => model?.stop());

  it("returns a WAV with a valid header and a plausible length (espeak-ng from system_packages)", async () => {
    const output = succeeded(await predict(model.url, { text: "Text to speech inside a container.", voice: "en-us", speed: 175 }));
    const file = fromDataUrl(output);
    expect(file.mime).toBe("audio/wav");
    const wav = parseWav(file.bytes);
    expect(wav).toMatchObject({ format: 1, channels: 1, bitsPerSample: 16 });
    expect(wav.seconds).toBeGreaterThan(1);
  });
});

describe("textgen image", () => {
  let model: RunningModel;
  beforeAll(async () => {
    model = await serve(await build("textgen"));
  }, 900_000);
  afterAll(async () => model?.stop());

  it("streams tokens over SSE as they are produced, and they join into the final output", async () => {
    const events = await streamPrediction(model.url, { prompt: "We hold these", max_tokens: 40, seed: 3 });
    const outputs = events.filter((event) => event.event === "output");
    const completed = events.find((event) => event.event === "completed")!;
    expect(outputs).toHaveLength(40);
    // 40 tokens 20 ms apart: the first arrived long before the last, not all at the end.
    expect(outputs.at(-1)!.at - outputs[0]!.at).toBeGreaterThan(300);
    const streamed = outputs.map((event) => (event.data as { chunk: string }).chunk).join("");
    expect(streamed.startsWith(" truths to be")).toBe(true);
    const final = completed.data as { status: string; output: string[]; metrics: Record<string, number> };
    expect(final.status).toBe("succeeded");
    expect(final.output.join("")).toBe(streamed);
    expect(final.metrics.output_token_count).toBe(40);
  });

  it("gives the same text in the image as on this machine for the same seed", async () => {
    const { Predictor } = await importExample<{ Predictor: new () => { setup(): Promise<void>; predict(...args: unknown[]): AsyncIterable<string> } }>("textgen", "predict.ts");
    const { runInScope } = await import("../../runtime/scope/index.js");
    const local = new Predictor();
    await local.setup();
    const tokens: string[] = [];
    await runInScope({ id: "local", signal: new AbortController().signal, recordMetric: () => {}, context: {} }, async () => {
      for await (const token of local.predict("", 25, 0.9, 1234)) tokens.push(token);
    });
    const remote = succeeded(await predict(model.url, { max_tokens: 25, temperature: 0.9, seed: 1234 })) as string[];
    expect(remote.join("")).toBe(tokens.join(""));
  });
});

describe("classifier image", () => {
  let model: RunningModel;
  beforeAll(async () => {
    model = await serve(await build("classifier"));
  }, 900_000);
  afterAll(async () => model?.stop());

  it("classifies the held-out set over HTTP with accuracy above 0.95, on the CPU after a logged fallback", async () => {
    const { datasets } = await importExample<{ datasets(): { heldOut: { features: number[][]; labels: number[] } } }>("classifier", "train.ts");
    const { heldOut } = datasets();
    let correct = 0;
    for (const [i, [x, y]] of heldOut.features.entries()) {
      const output = succeeded(await predict(model.url, { x, y })) as { label: string; device: string };
      expect(output.device).toBe("cpu");
      if ((output.label === "upper" ? 0 : 1) === heldOut.labels[i]) correct++;
    }
    expect(correct / heldOut.labels.length).toBeGreaterThan(0.95);
    const health = (await (await fetch(`${model.url}/health-check`)).json()) as { setup: { logs: string } };
    expect(health.setup.logs).toContain("falling back to CPU");
  });

  it("takes a CUDA base image for the gpu: true variant", async () => {
    const { stdout } = await execFileAsync(process.execPath, [COG_BIN, "debug", "-f", "cog.gpu.yaml"], {
      cwd: exampleDir("classifier"),
      env: { ...process.env, COGTS_BASE_IMAGE_MIRROR: "" },
    });
    expect(stdout).toMatch(/^FROM nvidia\/cuda:12\.\S*cudnn\S*runtime\S*$/m);
    expect(stdout).toContain("ONNXRUNTIME_NODE_INSTALL");
  });
});

describe("training image", () => {
  let image: string;
  let predictor: RunningModel;
  let trainer: RunningModel;
  beforeAll(async () => {
    image = await build("training");
    predictor = await serve(image);
    trainer = await serve(image, { cmd: ["node", "/opt/cogts/dist/runtime/server/main.js", "--x-mode", "train"] });
  }, 900_000);
  afterAll(async () => Promise.all([predictor?.stop(), trainer?.stop()]));

  it("trains on an uploaded text; the weights load in the predictor and change its predictions", async () => {
    const text = "Red fish. Blue fish. One fish. Two fish. Old fish. New fish.";
    const output = succeeded(await predict(trainer.url, { text: toDataUrl(Buffer.from(text), "text/plain"), order: 1 }, "trainings")) as {
      weights: string;
      vocabulary_size: number;
    };
    expect(output.vocabulary_size).toBe(8);
    const weights = fromDataUrl(output.weights).bytes;
    const before = succeeded(await predict(predictor.url, { max_tokens: 15, seed: 4 })) as string;
    const after = succeeded(await predict(predictor.url, { max_tokens: 15, seed: 4, weights: toDataUrl(weights, "application/json") })) as string;
    expect(after).not.toBe(before);
    for (const word of after.match(/[A-Za-z]+/g)!) expect(["Red", "Blue", "One", "Two", "Old", "New", "fish"]).toContain(word);
  });
});
