/**
 * Every example through `cog run --no-docker` (the command a user types first), and the streaming and training
 * examples through the same server over HTTP: SSE tokens and a training run.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { COG_BIN } from "../helpers/cli.js";
import { startReceiver } from "../helpers/receiver.js";
import { exampleDir, installExample, loadSharp, REPO_ROOT, renderTextPng, type Sharp } from "./helpers.js";
import { fromDataUrl, predict, streamPrediction, toDataUrl, waitUntilReady } from "./http.js";
import { parseWav } from "./wav.js";

const execFileAsync = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "examples-no-docker-"));
const EXAMPLES = ["ocr", "image-edit", "tts", "textgen", "classifier", "training"];
let sharp: Sharp;

/** `cog run --no-docker ARGS` in the example's folder; resolves with stdout and stderr, rejects on a non-zero exit. */
async function cogRun(example: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [COG_BIN, "run", "--no-docker", ...args], {
    cwd: exampleDir(example),
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}

beforeAll(async () => {
  for (const example of EXAMPLES) await installExample(example);
  sharp = await loadSharp();
}, 600_000);

describe("cog run --no-docker on every example", () => {
  it("ocr: prints the text of a rendered PNG", async () => {
    const image = await renderTextPng(["Packaging models", "with TypeScript"], join(work, "ocr.png"));
    const { stdout } = await cogRun("ocr", ["-i", `image=@${image}`, "-i", "page_segmentation=auto"]);
    expect(stdout).toContain("Packaging models");
    expect(stdout).toContain("with TypeScript");
  });

  it("ocr (cog.detailed.yaml): prints words with boxes as JSON", async () => {
    const image = await renderTextPng(["Hello boxes"], join(work, "ocr-detailed.png"));
    const { stdout } = await cogRun("ocr", ["-f", "cog.detailed.yaml", "-i", `image=@${image}`, "-i", "page_segmentation=single_line"]);
    const result = JSON.parse(stdout) as { text: string; words: { text: string; box: { x0: number; x1: number } }[] };
    expect(result.text).toBe("Hello boxes");
    expect(result.words.map((word) => word.text)).toEqual(["Hello", "boxes"]);
    expect(result.words[1]!.box.x0).toBeGreaterThan(result.words[0]!.box.x1);
  });

  it("image-edit: writes the resized image in the requested format", async () => {
    const source = join(work, "photo.png");
    await sharp(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="#2a7"/></svg>')).png().toFile(source);
    const output = join(work, "edited.jpg");
    await cogRun("image-edit", ["-i", `image=@${source}`, "-i", "width=200", "-i", "output_format=jpg", "-i", "output_quality=70", "-o", output]);
    expect(await sharp(output).metadata()).toMatchObject({ width: 200, height: 150, format: "jpeg" });
  });

  it("image-edit (cog.sizes.yaml): writes one file per width", async () => {
    const source = join(work, "photo.png");
    const { stderr } = await cogRun("image-edit", ["-f", "cog.sizes.yaml", "-i", `image=@${source}`, "-i", "widths=[40,80]", "-i", "output_format=png", "-o", join(work, "sizes")]);
    const files = [...stderr.matchAll(/Written output to: (.+)$/gm)].map((match) => match[1]!);
    expect(files).toHaveLength(2);
    const widths = await Promise.all(files.map(async (file) => (await sharp(file).metadata()).width));
    expect(widths).toEqual([40, 80]);
  });

  it("tts: writes a WAV file", async () => {
    const output = join(work, "speech.wav");
    await cogRun("tts", ["-i", "text=Hello from the command line", "-i", "voice=en-gb", "-i", "speed=160", "-o", output]);
    const wav = parseWav(readFileSync(output));
    expect(wav.format).toBe(1);
    expect(wav.seconds).toBeGreaterThan(1);
  });

  it("textgen: prints the same text for the same seed", async () => {
    const args = ["-i", "prompt=We hold these", "-i", "max_tokens=25", "-i", "seed=11"];
    const first = await cogRun("textgen", args);
    const second = await cogRun("textgen", args);
    expect(first.stdout.trim().split(/\s+/).length).toBeGreaterThan(10);
    expect(first.stdout.startsWith(" truths to be")).toBe(true);
    expect(second.stdout).toBe(first.stdout);
  });

  it("classifier: prints the class of a point as JSON", async () => {
    const { stdout } = await cogRun("classifier", ["-i", "x=0", "-i", "y=1"]);
    expect(JSON.parse(stdout)).toMatchObject({ label: "upper", device: "cpu" });
  });

  it("classifier: refuses an input outside its bounds with the input's name", async () => {
    await expect(cogRun("classifier", ["-i", "x=50", "-i", "y=0"])).rejects.toMatchObject({ stderr: expect.stringMatching(/x/) });
  });

  it("training: the predictor uses weights given as a file input", async () => {
    const weights = join(work, "weights.json");
    const { trainModel } = (await import(join(exampleDir("training"), "markov.ts"))) as { trainModel: (text: string, order: number) => unknown };
    writeFileSync(weights, JSON.stringify(trainModel("Red fish. Blue fish. One fish. Two fish.", 2)));
    const { stdout } = await cogRun("training", ["-i", `weights=@${weights}`, "-i", "max_tokens=12", "-i", "seed=3"]);
    for (const word of stdout.match(/[A-Za-z]+/g)!) expect(["Red", "Blue", "One", "Two", "fish"]).toContain(word);
  });
});

describe("the local server over HTTP", () => {
  it("textgen: streams tokens over SSE before the prediction completes, and they join into the output", async () => {
    const { prepareLocalProject, startLocalServer } = (await import(join(REPO_ROOT, "dist", "src", "local", "index.js"))) as typeof import("../../src/local/index.js");
    const { loadProject } = (await import(join(REPO_ROOT, "dist", "src", "model", "index.js"))) as typeof import("../../src/model/index.js");
    const project = await prepareLocalProject(await loadProject(exampleDir("textgen")));
    const server = await startLocalServer(project, { port: 0 });
    try {
      await waitUntilReady(server.url, 60_000);
      const events = await streamPrediction(server.url, { prompt: "", max_tokens: 30, seed: 5 });
      const outputs = events.filter((event) => event.event === "output");
      const completed = events.find((event) => event.event === "completed");
      expect(outputs).toHaveLength(30);
      expect(completed).toBeDefined();
      // Streaming, not buffering: the first token arrived well before the last one (30 tokens, 20 ms apart).
      expect(outputs.at(-1)!.at - outputs[0]!.at).toBeGreaterThan(200);
      expect(completed!.at).toBeGreaterThanOrEqual(outputs.at(-1)!.at);
      const streamed = outputs.map((event) => (event.data as { chunk: string }).chunk).join("");
      const final = (completed!.data as { output: string[] | string }).output;
      expect(Array.isArray(final) ? final.join("") : final).toBe(streamed);
      // The same seed over a plain request gives the same text.
      const again = await predict(server.url, { prompt: "", max_tokens: 30, seed: 5 });
      expect((again.output as string[]).join("")).toBe(streamed);
    } finally {
      await server.stop();
      project.dispose();
    }
  });

  it("textgen: sends output webhooks while tokens are produced, before the completed one", async () => {
    const { prepareLocalProject, startLocalServer } = (await import(join(REPO_ROOT, "dist", "src", "local", "index.js"))) as typeof import("../../src/local/index.js");
    const { loadProject } = (await import(join(REPO_ROOT, "dist", "src", "model", "index.js"))) as typeof import("../../src/model/index.js");
    const receiver = await startReceiver();
    const project = await prepareLocalProject(await loadProject(exampleDir("textgen")));
    // Output webhooks are throttled like Cog's (COG_THROTTLE_RESPONSE_INTERVAL); 0.1 s shows several in 1.6 s.
    const server = await startLocalServer(project, { port: 0, env: { COG_THROTTLE_RESPONSE_INTERVAL: "0.1" } });
    try {
      await waitUntilReady(server.url, 60_000);
      const webhook = `${receiver.url}/hook`;
      const response = await fetch(`${server.url}/predictions`, {
        method: "POST",
        headers: { "content-type": "application/json", prefer: "respond-async" },
        body: JSON.stringify({ input: { max_tokens: 80, seed: 9 }, webhook, webhook_events_filter: ["output", "completed"] }),
      });
      expect(response.status).toBe(202);
      // The test's own timeout bounds the wait, as it did when this waited on a bare promise.
      await receiver.waitFor((hits) => hits.some((hit) => hit.json?.status === "succeeded"), 600_000, "the succeeded webhook");
      const received = receiver.received.map((hit) => hit.json as { status: string; output: string[] | null });
      const final = received.at(-1)!;
      const partial = received.filter((state) => state.status === "processing" && (state.output?.length ?? 0) > 0);
      expect(partial.length).toBeGreaterThanOrEqual(2);
      expect(partial[0]!.output!.length).toBeLessThan(final.output!.length);
      for (const state of partial) expect(final.output!.slice(0, state.output!.length)).toEqual(state.output);
    } finally {
      await server.stop();
      project.dispose();
      await receiver.close();
    }
  });

  it("training: POST /trainings returns weights that the predictor then uses", async () => {
    const { prepareLocalProject, startLocalServer } = (await import(join(REPO_ROOT, "dist", "src", "local", "index.js"))) as typeof import("../../src/local/index.js");
    const { loadProject } = (await import(join(REPO_ROOT, "dist", "src", "model", "index.js"))) as typeof import("../../src/model/index.js");
    const project = await prepareLocalProject(await loadProject(exampleDir("training")));
    // The training server is the same server process in train mode (as an image runs it with --x-mode train).
    const child = spawn(process.execPath, [join(REPO_ROOT, "dist", "runtime", "server", "main.js"), "--host", "127.0.0.1", "--x-mode", "train"], {
      cwd: project.dir,
      env: { ...process.env, PORT: "0", COGTS_ANNOUNCE_PORT: "1", COGTS_LOAD_TYPESCRIPT: "1", COG_TRAIN_TYPE_STUB: project.config.train!, COG_PREDICT_TYPE_STUB: project.config.predict!, COG_OPENAPI_SCHEMA: project.schemaPath },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let text = "";
        child.stdout!.on("data", (data: Buffer) => {
          text += data.toString();
          const match = /listening on (\d+)\n/.exec(text);
          if (match) resolve(Number(match[1]));
        });
        child.on("exit", (code) => reject(new Error(`training server exited with ${code}`)));
      });
      const url = `http://127.0.0.1:${port}`;
      await waitUntilReady(url, 60_000);
      const text = toDataUrl(Buffer.from("Red fish. Blue fish. One fish. Two fish. Old fish. New fish."), "text/plain");
      const training = await predict(url, { text, order: 1 }, "trainings");
      expect(training.status).toBe("succeeded");
      const output = training.output as { weights: string; vocabulary_size: number };
      expect(output.vocabulary_size).toBe(8);
      const weights = fromDataUrl(output.weights);
      expect(JSON.parse(weights.bytes.toString("utf8"))).toMatchObject({ order: 1 });

      const predictor = await startLocalServer(project, { port: 0 });
      try {
        await waitUntilReady(predictor.url, 60_000);
        const before = await predict(predictor.url, { max_tokens: 15, seed: 2 });
        const after = await predict(predictor.url, { max_tokens: 15, seed: 2, weights: toDataUrl(weights.bytes, "application/json") });
        expect(after.status).toBe("succeeded");
        for (const word of (after.output as string).match(/[A-Za-z]+/g)!) expect(["Red", "Blue", "One", "Two", "Old", "New", "fish"]).toContain(word);
        expect(after.output).not.toBe(before.output);
      } finally {
        await predictor.stop();
      }
    } finally {
      child.kill("SIGTERM");
      project.dispose();
    }
  });
});
