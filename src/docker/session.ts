/**
 * A BuildKit client session over the engine API, serving build secrets (`--secret id=…,src=…`).
 *
 * BuildKit reads secrets from the client that started the build: the client opens `POST /session`, upgrades the
 * connection to h2c, and then serves gRPC on it while the engine is the gRPC client (moby api/server/router/session,
 * buildkit session/manager.go). The build request names the session with `session=<id>`. Only two methods are
 * served: the secrets provider (buildkit session/secrets/secrets.proto) and the gRPC health check the engine polls;
 * every other method answers UNIMPLEMENTED, which BuildKit treats as "this client does not offer that".
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import http2 from "node:http2";
import { TLSSocket } from "node:tls";
import type Docker from "dockerode";
import { UserError } from "../errors.js";
import { dialEngine, endpointOf } from "./engine.js";

const GET_SECRET = "/moby.buildkit.secrets.v1.Secrets/GetSecret";
const HEALTH_CHECK = "/grpc.health.v1.Health/Check";

export interface SecretSpec {
  id: string;
  /** File whose bytes are the secret. */
  src?: string;
  /** Environment variable whose value is the secret. */
  env?: string;
}

/** `id=NAME,src=PATH` (also `source=`, `env=NAME`, or a bare `id=NAME` meaning the variable NAME), as docker build. */
export function parseSecret(text: string): SecretSpec {
  const fields: Record<string, string> = {};
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new UserError(`--secret ${text}: expected id=NAME,src=PATH`);
    fields[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  const id = fields.id;
  if (!id) throw new UserError(`--secret ${text}: the id= field is missing`);
  const src = fields.src ?? fields.source;
  const env = fields.env ?? (src ? undefined : id);
  return { id, src, env };
}

async function secretValue(spec: SecretSpec): Promise<Buffer> {
  if (spec.src) {
    try {
      return await readFile(spec.src);
    } catch (err) {
      throw new UserError(
        `--secret id=${spec.id}: cannot read ${spec.src} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
  }
  const value = process.env[spec.env ?? spec.id];
  if (value === undefined)
    throw new UserError(`--secret id=${spec.id}: the environment variable ${spec.env ?? spec.id} is not set`);
  return Buffer.from(value);
}

/** The first string field (number 1) of a protobuf message: GetSecretRequest.ID. */
function firstStringField(bytes: Buffer): string | undefined {
  let offset = 0;
  const varint = () => {
    let result = 0;
    let multiplier = 1;
    for (;;) {
      const byte = bytes[offset++]!;
      result += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return result;
      multiplier *= 128;
    }
  };
  while (offset < bytes.length) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 2) {
      const length = varint();
      const value = bytes.subarray(offset, offset + length);
      offset += length;
      if (tag >> 3 === 1) return value.toString("utf8");
    } else if (wire === 0) varint();
    else if (wire === 1) offset += 8;
    else if (wire === 5) offset += 4;
    else return undefined;
  }
  return undefined;
}

function lengthDelimited(fieldNumber: number, bytes: Buffer): Buffer {
  const header: number[] = [(fieldNumber << 3) | 2];
  let n = bytes.length;
  while (n >= 0x80) {
    header.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  header.push(n);
  return Buffer.concat([Buffer.from(header), bytes]);
}

/** A gRPC message frame: compressed flag, big-endian length, message. */
function grpcFrame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

interface BuildSession {
  id: string;
  close(): void;
}

/** Opens a session that serves these secrets; pass `session: id` to the build and `close()` after it. */
export async function openSecretsSession(docker: Docker, specs: SecretSpec[]): Promise<BuildSession> {
  const secrets = new Map<string, Buffer>();
  for (const spec of specs) secrets.set(spec.id, await secretValue(spec));
  const id = randomBytes(16).toString("hex");
  const socket = await dialEngine(endpointOf(docker));
  const headers = [
    "POST /session HTTP/1.1",
    "Host: docker",
    "Connection: Upgrade",
    "Upgrade: h2c",
    `X-Docker-Expose-Session-Uuid: ${id}`,
    "X-Docker-Expose-Session-Name: cogts",
    `X-Docker-Expose-Session-Sharedkey: ${id}`,
    `X-Docker-Expose-Session-Grpc-Method: ${GET_SECRET}`,
    `X-Docker-Expose-Session-Grpc-Method: ${HEALTH_CHECK}`,
    "Content-Length: 0",
  ];
  socket.write(`${headers.join("\r\n")}\r\n\r\n`);
  // Read the 101 answer byte by byte up to the blank line, so no HTTP/2 bytes after it are consumed here.
  const answer = await new Promise<string>((resolve, reject) => {
    let text = "";
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read(1) as Buffer | null) !== null) {
        text += chunk.toString("latin1");
        if (text.endsWith("\r\n\r\n")) {
          socket.off("readable", onReadable);
          resolve(text);
          return;
        }
      }
    };
    socket.on("readable", onReadable);
    socket.once("error", reject);
    socket.once("end", () => reject(new Error(`the engine closed the session connection: ${text.trim()}`)));
  });
  if (!/^HTTP\/1\.[01] 101/.test(answer)) {
    socket.destroy();
    throw new UserError(`The engine refused a build session for secrets: ${answer.split("\r\n")[0]}`);
  }

  const server = http2.createServer();
  server.on("stream", (stream, requestHeaders) => {
    const method = String(requestHeaders[":path"]);
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      const body = Buffer.concat(chunks);
      const message = body.length >= 5 ? body.subarray(5, 5 + body.readUInt32BE(1)) : Buffer.alloc(0);
      let status = 0;
      let statusMessage = "";
      let reply: Buffer | undefined;
      if (method === HEALTH_CHECK) {
        reply = Buffer.from([0x08, 0x01]); // HealthCheckResponse{status: SERVING}
      } else if (method === GET_SECRET) {
        const secretId = firstStringField(message) ?? "";
        const value = secrets.get(secretId);
        if (value) reply = lengthDelimited(1, value);
        else {
          status = 5; // NOT_FOUND: BuildKit then says which secret is missing
          statusMessage = `secret ${secretId} not found`;
        }
      } else {
        status = 12; // UNIMPLEMENTED
        statusMessage = `${method} is not served by cogts`;
      }
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => {
        stream.sendTrailers(
          status === 0
            ? { "grpc-status": "0" }
            : { "grpc-status": String(status), "grpc-message": encodeURIComponent(statusMessage) },
        );
      });
      stream.end(reply ? grpcFrame(reply) : undefined);
    });
    stream.on("error", () => undefined);
  });
  server.on("sessionError", () => undefined);
  // Node's HTTP/2 server drops a TLS connection that did not negotiate "h2" by ALPN (it takes it for an HTTP/1.1
  // client); this one switched to h2c in-band with the 101 above, so it is HTTP/2 whatever ALPN said.
  if (socket instanceof TLSSocket)
    Object.defineProperty(socket, "alpnProtocol", { value: undefined, configurable: true });
  server.emit("connection", socket);
  return {
    id,
    close() {
      socket.destroy();
      server.close();
    },
  };
}
