/**
 * Writes a multilayer perceptron as an ONNX model: a hand-written protobuf encoder for the few messages a model
 * needs (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto), with field numbers from onnx/onnx.proto.
 * No protobuf library: the wire format is varints and length-prefixed bytes.
 */

/** Protobuf wire types. */
const VARINT = 0;
const LENGTH_DELIMITED = 2;

/** ONNX TensorProto.DataType.FLOAT */
const FLOAT = 1;

class ProtoWriter {
  private readonly chunks: Buffer[] = [];

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`cannot encode ${value} as a varint`);
    const bytes: number[] = [];
    while (value > 127) {
      bytes.push((value % 128) | 128);
      value = Math.floor(value / 128);
    }
    bytes.push(value);
    this.chunks.push(Buffer.from(bytes));
  }

  int(field: number, value: number): this {
    this.tag(field, VARINT);
    this.varint(value);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.chunks.push(Buffer.from(value));
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, "utf8"));
  }

  message(field: number, build: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export interface DenseLayer {
  /** inputs x outputs, row-major */
  weights: Float32Array;
  bias: Float32Array;
  inputs: number;
  outputs: number;
}

/** `dims` of a tensor: a number is a fixed size, a string a symbolic one (the batch). */
function valueInfo(writer: ProtoWriter, field: number, name: string, dims: (number | string)[]): void {
  writer.message(field, (info) => {
    info.string(1, name); // ValueInfoProto.name
    info.message(2, (type) => {
      // TypeProto.tensor_type
      type.message(1, (tensor) => {
        tensor.int(1, FLOAT); // elem_type
        tensor.message(2, (shape) => {
          for (const dim of dims) {
            // TensorShapeProto.dim: dim_value (1) or dim_param (2)
            shape.message(1, (d) => (typeof dim === "number" ? d.int(1, dim) : d.string(2, dim)));
          }
        });
      });
    });
  });
}

function initializer(writer: ProtoWriter, name: string, dims: number[], values: Float32Array): void {
  writer.message(5, (tensor) => {
    for (const dim of dims) tensor.int(1, dim); // TensorProto.dims
    tensor.int(2, FLOAT); // data_type
    tensor.string(8, name); // name
    const raw = Buffer.alloc(values.length * 4);
    values.forEach((value, i) => raw.writeFloatLE(value, i * 4));
    tensor.bytes(9, raw); // raw_data, little-endian
  });
}

function node(writer: ProtoWriter, opType: string, inputs: string[], output: string): void {
  writer.message(1, (n) => {
    for (const input of inputs) n.string(1, input);
    n.string(2, output);
    n.string(3, `${opType}_${output}`);
    n.string(4, opType);
  });
}

/**
 * An ONNX model (IR version 8, opset 13) computing `Softmax(...Relu(x W1 + b1)... Wn + bn)`.
 * Input `input`: [batch, features]; output `probabilities`: [batch, classes].
 */
export function encodeMlp(layers: DenseLayer[], producer = "cogts-example-classifier"): Buffer {
  if (layers.length === 0) throw new Error("an MLP needs at least one layer");
  const model = new ProtoWriter();
  model.int(1, 8); // ir_version
  model.string(2, producer); // producer_name
  model.message(7, (graph) => {
    let current = "input";
    layers.forEach((layer, i) => {
      const last = i === layers.length - 1;
      node(graph, "MatMul", [current, `W${i}`], `matmul${i}`);
      node(graph, "Add", [`matmul${i}`, `b${i}`], last ? "logits" : `add${i}`);
      if (!last) node(graph, "Relu", [`add${i}`], `relu${i}`);
      current = `relu${i}`;
    });
    node(graph, "Softmax", ["logits"], "probabilities");
    graph.string(2, "mlp");
    layers.forEach((layer, i) => {
      initializer(graph, `W${i}`, [layer.inputs, layer.outputs], layer.weights);
      initializer(graph, `b${i}`, [layer.outputs], layer.bias);
    });
    valueInfo(graph, 11, "input", ["batch", layers[0]!.inputs]);
    valueInfo(graph, 12, "probabilities", ["batch", layers.at(-1)!.outputs]);
  });
  model.message(8, (opset) => opset.string(1, "").int(2, 13)); // opset_import: default domain, version 13
  return model.finish();
}
