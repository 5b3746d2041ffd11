import { fileURLToPath } from "node:url";
import { BasePredictor, Input } from "cogts";
import * as ort from "onnxruntime-node";

const CLASSES = ["upper", "lower"];

export interface Classification {
  /** The most likely class */
  label: string;
  /** Its probability, 0 to 1 */
  confidence: number;
  /** Probability of each class */
  probabilities: Record<string, number>;
  /** The execution provider that ran the model: "cuda" or "cpu" */
  device: string;
}

/**
 * Classifies a 2-D point as on the upper or the lower of two interleaving half moons, with a small MLP run by
 * ONNX Runtime. On a machine with a GPU (the `cog.gpu.yaml` variant), it runs on CUDA; elsewhere on the CPU.
 */
export class Predictor extends BasePredictor {
  private session!: ort.InferenceSession;
  private device = "cpu";

  override async setup(): Promise<void> {
    const model = fileURLToPath(new URL("./model.onnx", import.meta.url));
    try {
      this.session = await ort.InferenceSession.create(model, { executionProviders: ["cuda"] });
      this.device = "cuda";
    } catch (error) {
      // No GPU, no CUDA libraries, or a build of onnxruntime-node without the CUDA provider: the CPU will do.
      console.log(`CUDA execution provider not available (${firstLine(error)}); falling back to CPU`);
      this.session = await ort.InferenceSession.create(model, { executionProviders: ["cpu"] });
    }
    console.log(`model loaded on ${this.device}`);
  }

  /** Classify a point */
  async predict(
    x: number = Input({ description: "Horizontal coordinate (the moons span about -1.5 to 2.5)", ge: -10, le: 10 }),
    y: number = Input({ description: "Vertical coordinate (the moons span about -1 to 1.5)", ge: -10, le: 10 }),
  ): Promise<Classification> {
    const [probabilities] = await this.classify([[x, y]]);
    const best = probabilities!.indexOf(Math.max(...probabilities!));
    return {
      label: CLASSES[best]!,
      confidence: probabilities![best]!,
      probabilities: Object.fromEntries(CLASSES.map((name, i) => [name, probabilities![i]!])),
      device: this.device,
    };
  }

  /** Class probabilities for a batch of points, in one run of the model. */
  async classify(points: number[][]): Promise<number[][]> {
    const input = new ort.Tensor("float32", Float32Array.from(points.flat()), [points.length, 2]);
    const { probabilities } = await this.session.run({ input });
    const data = probabilities!.data as Float32Array;
    return points.map((_, i) => [...data.subarray(i * CLASSES.length, (i + 1) * CLASSES.length)]);
  }
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split("\n")[0]!;
}
