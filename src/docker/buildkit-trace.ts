/**
 * Decodes the BuildKit progress the engine API streams as `{"id":"moby.buildkit.trace","aux":"<base64>"}`:
 * each aux is a protobuf `moby.buildkit.v1.StatusResponse` (github.com/moby/buildkit api/services/control/control.proto).
 * Only the fields the progress display needs are read; unknown fields are skipped, as protobuf allows.
 */

export interface TraceVertex {
  digest: string;
  name: string;
  cached: boolean;
  /** Milliseconds since the epoch. */
  started?: number;
  completed?: number;
  error?: string;
}

export interface TraceStatus {
  id: string;
  vertex: string;
  name: string;
  current: number;
  total: number;
  completed?: number;
}

export interface TraceLog {
  vertex: string;
  /** 1 stdout, 2 stderr. */
  stream: number;
  message: string;
}

export interface TraceUpdate {
  vertexes: TraceVertex[];
  statuses: TraceStatus[];
  logs: TraceLog[];
}

class ProtoReader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (;;) {
      if (this.offset >= this.bytes.length) throw new Error("truncated protobuf varint");
      const byte = this.bytes[this.offset++]!;
      result += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return result;
      multiplier *= 128;
    }
  }

  /** Field number and wire type of the next field. */
  tag(): [number, number] {
    const tag = this.varint();
    return [Math.floor(tag / 8), tag & 7];
  }

  bytesField(): Uint8Array {
    const length = this.varint();
    const start = this.offset;
    this.offset += length;
    if (this.offset > this.bytes.length) throw new Error("truncated protobuf field");
    return this.bytes.subarray(start, this.offset);
  }

  string(): string {
    return Buffer.from(this.bytesField()).toString("utf8");
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.offset += 8;
    else if (wireType === 2) this.bytesField();
    else if (wireType === 5) this.offset += 4;
    else throw new Error(`unsupported protobuf wire type ${wireType}`);
  }
}

/** google.protobuf.Timestamp → milliseconds. */
function timestamp(bytes: Uint8Array): number {
  const reader = new ProtoReader(bytes);
  let seconds = 0;
  let nanos = 0;
  while (!reader.done) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === 0) seconds = reader.varint();
    else if (field === 2 && wire === 0) nanos = reader.varint();
    else reader.skip(wire);
  }
  return seconds * 1000 + Math.floor(nanos / 1e6);
}

function vertex(bytes: Uint8Array): TraceVertex {
  const reader = new ProtoReader(bytes);
  const result: TraceVertex = { digest: "", name: "", cached: false };
  while (!reader.done) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === 2) result.digest = reader.string();
    else if (field === 3 && wire === 2) result.name = reader.string();
    else if (field === 4 && wire === 0) result.cached = reader.varint() !== 0;
    else if (field === 5 && wire === 2) result.started = timestamp(reader.bytesField());
    else if (field === 6 && wire === 2) result.completed = timestamp(reader.bytesField());
    else if (field === 7 && wire === 2) result.error = reader.string();
    else reader.skip(wire);
  }
  return result;
}

function status(bytes: Uint8Array): TraceStatus {
  const reader = new ProtoReader(bytes);
  const result: TraceStatus = { id: "", vertex: "", name: "", current: 0, total: 0 };
  while (!reader.done) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === 2) result.id = reader.string();
    else if (field === 2 && wire === 2) result.vertex = reader.string();
    else if (field === 3 && wire === 2) result.name = reader.string();
    else if (field === 4 && wire === 0) result.current = reader.varint();
    else if (field === 5 && wire === 0) result.total = reader.varint();
    else if (field === 8 && wire === 2) result.completed = timestamp(reader.bytesField());
    else reader.skip(wire);
  }
  return result;
}

function log(bytes: Uint8Array): TraceLog {
  const reader = new ProtoReader(bytes);
  const result: TraceLog = { vertex: "", stream: 1, message: "" };
  while (!reader.done) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === 2) result.vertex = reader.string();
    else if (field === 3 && wire === 0) result.stream = reader.varint();
    else if (field === 4 && wire === 2) result.message = reader.string();
    else reader.skip(wire);
  }
  return result;
}

/** One `moby.buildkit.trace` aux value (base64 text) as plain objects. */
export function decodeTrace(base64: string): TraceUpdate {
  const reader = new ProtoReader(Buffer.from(base64, "base64"));
  const update: TraceUpdate = { vertexes: [], statuses: [], logs: [] };
  while (!reader.done) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === 2) update.vertexes.push(vertex(reader.bytesField()));
    else if (field === 2 && wire === 2) update.statuses.push(status(reader.bytesField()));
    else if (field === 3 && wire === 2) update.logs.push(log(reader.bytesField()));
    else reader.skip(wire);
  }
  return update;
}
