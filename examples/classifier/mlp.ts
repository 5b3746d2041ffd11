/**
 * A small multilayer perceptron trained with Adam on full batches, in plain TypeScript: enough for a 2-D toy
 * problem, and deterministic for a seed so the shipped model can be reproduced exactly.
 */
import type { DenseLayer } from "./onnx.js";

export interface Dataset {
  features: number[][];
  labels: number[];
}

/** mulberry32, a tiny seeded PRNG. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Two interleaving half circles ("two moons") with Gaussian noise: classes 0 (upper) and 1 (lower). */
export function makeMoons(count: number, noise: number, seed: number): Dataset {
  const random = seededRandom(seed);
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = i % 2;
    const angle = Math.PI * random();
    const x = label === 0 ? Math.cos(angle) : 1 - Math.cos(angle);
    const y = label === 0 ? Math.sin(angle) : 0.5 - Math.sin(angle);
    features.push([x + noise * gaussian(random), y + noise * gaussian(random)]);
    labels.push(label);
  }
  return { features, labels };
}

interface Layer {
  inputs: number;
  outputs: number;
  w: Float64Array;
  b: Float64Array;
}

export class Mlp {
  readonly layers: Layer[];

  constructor(sizes: number[], seed: number) {
    const random = seededRandom(seed);
    this.layers = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const inputs = sizes[i]!;
      const outputs = sizes[i + 1]!;
      const scale = Math.sqrt(2 / inputs); // He initialisation for ReLU layers
      const w = Float64Array.from({ length: inputs * outputs }, () => gaussian(random) * scale);
      this.layers.push({ inputs, outputs, w, b: new Float64Array(outputs) });
    }
  }

  /** Activations of every layer for one sample; the last entry is the softmax output. */
  private forward(x: number[]): Float64Array[] {
    const activations: Float64Array[] = [Float64Array.from(x)];
    this.layers.forEach((layer, index) => {
      const input = activations.at(-1)!;
      const out = new Float64Array(layer.outputs);
      for (let o = 0; o < layer.outputs; o++) {
        let sum = layer.b[o]!;
        for (let i = 0; i < layer.inputs; i++) sum += input[i]! * layer.w[i * layer.outputs + o]!;
        out[o] = index === this.layers.length - 1 ? sum : Math.max(0, sum);
      }
      activations.push(out);
    });
    const logits = activations.at(-1)!;
    const max = Math.max(...logits);
    const exps = logits.map((value) => Math.exp(value - max));
    const total = exps.reduce((a, b) => a + b, 0);
    activations[activations.length - 1] = exps.map((value) => value / total);
    return activations;
  }

  predict(x: number[]): number[] {
    return [...this.forward(x).at(-1)!];
  }

  /** Full-batch Adam on cross-entropy. Returns the final mean loss. */
  train(data: Dataset, epochs: number, learningRate = 0.01): number {
    const moments = this.layers.map((layer) => ({
      mw: new Float64Array(layer.w.length), vw: new Float64Array(layer.w.length),
      mb: new Float64Array(layer.b.length), vb: new Float64Array(layer.b.length),
    }));
    const [beta1, beta2, epsilon] = [0.9, 0.999, 1e-8];
    let loss = 0;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const grads = this.layers.map((layer) => ({ w: new Float64Array(layer.w.length), b: new Float64Array(layer.b.length) }));
      loss = 0;
      data.features.forEach((x, n) => {
        const activations = this.forward(x);
        const output = activations.at(-1)!;
        loss -= Math.log(Math.max(output[data.labels[n]!]!, 1e-12));
        // Softmax + cross-entropy: the gradient on the logits is output - one-hot.
        let delta = output.map((p, c) => p - (c === data.labels[n] ? 1 : 0));
        for (let l = this.layers.length - 1; l >= 0; l--) {
          const layer = this.layers[l]!;
          const input = activations[l]!;
          const next = new Float64Array(layer.inputs);
          for (let i = 0; i < layer.inputs; i++) {
            let sum = 0;
            for (let o = 0; o < layer.outputs; o++) {
              grads[l]!.w[i * layer.outputs + o]! += input[i]! * delta[o]!;
              sum += layer.w[i * layer.outputs + o]! * delta[o]!;
            }
            next[i] = input[i]! > 0 ? sum : 0; // ReLU derivative of the layer below
          }
          for (let o = 0; o < layer.outputs; o++) grads[l]!.b[o]! += delta[o]!;
          delta = next;
        }
      });
      const count = data.features.length;
      const correction1 = 1 - Math.pow(beta1, epoch);
      const correction2 = 1 - Math.pow(beta2, epoch);
      this.layers.forEach((layer, l) => {
        const m = moments[l]!;
        const step = (params: Float64Array, grad: Float64Array, first: Float64Array, second: Float64Array) => {
          for (let i = 0; i < params.length; i++) {
            const g = grad[i]! / count;
            first[i] = beta1 * first[i]! + (1 - beta1) * g;
            second[i] = beta2 * second[i]! + (1 - beta2) * g * g;
            params[i]! -= (learningRate * (first[i]! / correction1)) / (Math.sqrt(second[i]! / correction2) + epsilon);
          }
        };
        step(layer.w, grads[l]!.w, m.mw, m.vw);
        step(layer.b, grads[l]!.b, m.mb, m.vb);
      });
      loss /= count;
    }
    return loss;
  }

  accuracy(data: Dataset): number {
    let correct = 0;
    data.features.forEach((x, n) => {
      const p = this.predict(x);
      if (p.indexOf(Math.max(...p)) === data.labels[n]) correct++;
    });
    return correct / data.features.length;
  }

  /** The layers as float32 tensors for ONNX. */
  toDense(): DenseLayer[] {
    return this.layers.map((layer) => ({
      inputs: layer.inputs,
      outputs: layer.outputs,
      weights: Float32Array.from(layer.w),
      bias: Float32Array.from(layer.b),
    }));
  }
}
