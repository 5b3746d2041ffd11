/**
 * A registry behind distribution's token auth, for tests: a real docker-registry configured with
 * `auth.token` and a `rootcertbundle`, and a node:http token server (distribution auth/token.md) that
 * signs RS256 JWTs with the matching key (x5c header) for one user.
 */
import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createSign, randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { tempDir } from "./support.js";

const run = promisify(execFile);

export interface TokenRegistry {
  host: string;
  user: string;
  password: string;
  /** Every token request: the scopes asked for, and whether credentials were right. */
  tokenRequests: { scopes: string[]; authorized: boolean }[];
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

export async function startTokenRegistry(): Promise<TokenRegistry> {
  const dir = await tempDir("token-registry");
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=cogts-test-token-issuer",
    "-keyout",
    join(dir, "key.pem"),
    "-out",
    join(dir, "cert.pem"),
  ]);
  const key = await readFile(join(dir, "key.pem"), "utf8");
  const certDer = (await readFile(join(dir, "cert.pem"), "utf8")).replace(/-----[^-]+-----|\s/g, "");
  const service = "cogts-test-registry";
  const issuer = "cogts-test-issuer";
  const state: TokenRegistry = {
    host: "",
    user: "tokenuser",
    password: randomBytes(8).toString("hex"),
    tokenRequests: [],
    close: async () => {},
  };

  const tokenServer: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const scopes = url.searchParams.getAll("scope");
    const expected = `Basic ${Buffer.from(`${state.user}:${state.password}`).toString("base64")}`;
    const authorized = req.headers.authorization === expected;
    state.tokenRequests.push({ scopes, authorized });
    if (!authorized) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end('{"details":"bad credentials"}');
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.map((s) => {
      const [type, ...rest] = s.split(":");
      const actions = rest.pop()!.split(",");
      return { type, name: rest.join(":"), actions };
    });
    const header = { typ: "JWT", alg: "RS256", x5c: [certDer] };
    const claims = {
      iss: issuer,
      sub: state.user,
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString("hex"),
      access,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign("RSA-SHA256").update(signingInput).sign(key);
    const token = `${signingInput}.${b64url(signature)}`;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date(now * 1000).toISOString() }),
    );
  });
  await new Promise<void>((resolve) => tokenServer.listen(0, "127.0.0.1", resolve));
  const tokenPort = (tokenServer.address() as AddressInfo).port;

  const port = await freePort();
  state.host = `127.0.0.1:${port}`;
  await writeFile(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "  accesslog:",
      "    disabled: true",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${join(dir, "storage")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: ${state.host}`,
      "  secret: cogts-token-test",
      "auth:",
      "  token:",
      `    realm: http://127.0.0.1:${tokenPort}/token`,
      `    service: ${service}`,
      `    issuer: ${issuer}`,
      `    rootcertbundle: ${join(dir, "cert.pem")}`,
      "",
    ].join("\n"),
  );
  const registry: ChildProcess = spawn("docker-registry", ["serve", join(dir, "config.yml")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  registry.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(`http://${state.host}/v2/`);
      if (res.status === 401) break;
    } catch {
      /* not up yet */
    }
    if (i > 100 || registry.exitCode !== null) throw new Error(`docker-registry did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  state.close = async () => {
    registry.kill();
    await new Promise<void>((resolve) => tokenServer.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  };
  return state;
}
