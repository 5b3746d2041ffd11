/**
 * Engine discovery as the docker CLI does it (unit level: environment and Docker CLI files in a temp
 * DOCKER_CONFIG, no engine). The CLI runs against the real engine in test/cli/engine-discovery.test.ts.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { resolveEngineEndpoint, isLocalEndpoint } from "./endpoint.js";
import { connectEngine, endpointOf, explainEngineError } from "./engine.js";

const scratch = mkdtempSync(path.join(tmpdir(), "cogts-endpoint-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let configs = 0;
/** A fresh DOCKER_CONFIG with these contexts (name → endpoint host, TLS files) and this current context. */
function dockerConfig(
  contexts: Record<string, { host: string; skipVerify?: boolean; tls?: Record<string, string> }>,
  current?: string,
): string {
  const dir = path.join(scratch, `config-${++configs}`);
  mkdirSync(dir, { recursive: true });
  if (current !== undefined)
    writeFileSync(path.join(dir, "config.json"), JSON.stringify({ auths: {}, currentContext: current }));
  for (const [name, spec] of Object.entries(contexts)) {
    const id = createHash("sha256").update(name).digest("hex");
    const meta = path.join(dir, "contexts", "meta", id);
    mkdirSync(meta, { recursive: true });
    writeFileSync(
      path.join(meta, "meta.json"),
      JSON.stringify({
        Name: name,
        Metadata: {},
        Endpoints: { docker: { Host: spec.host, SkipTLSVerify: spec.skipVerify ?? false } },
      }),
    );
    if (spec.tls) {
      const tlsDir = path.join(dir, "contexts", "tls", id, "docker");
      mkdirSync(tlsDir, { recursive: true });
      for (const [file, text] of Object.entries(spec.tls)) writeFileSync(path.join(tlsDir, file), text);
    }
  }
  return dir;
}

function resolveError(env: NodeJS.ProcessEnv): string {
  try {
    resolveEngineEndpoint(env);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error("expected a UserError");
}

describe("resolveEngineEndpoint", () => {
  const empty = () => ({ DOCKER_CONFIG: dockerConfig({}) });

  it("uses the default socket when nothing selects an engine", () => {
    expect(resolveEngineEndpoint(empty())).toMatchObject({
      kind: "unix",
      socketPath: "/var/run/docker.sock",
      host: "unix:///var/run/docker.sock",
      source: "the default socket",
    });
    // No config.json at all, as on a machine where the docker CLI never ran.
    expect(resolveEngineEndpoint({ DOCKER_CONFIG: path.join(scratch, "absent") })).toMatchObject({
      socketPath: "/var/run/docker.sock",
    });
    // HOME/.docker when DOCKER_CONFIG is unset.
    const home = path.join(scratch, "home");
    mkdirSync(path.join(home, ".docker"), { recursive: true });
    expect(resolveEngineEndpoint({ HOME: home })).toMatchObject({ socketPath: "/var/run/docker.sock" });
  });

  it("reads DOCKER_HOST: unix, tcp with the default ports, bare HOST:PORT, ssh", () => {
    expect(resolveEngineEndpoint({ ...empty(), DOCKER_HOST: "unix:///run/user/1000/docker.sock" })).toMatchObject({
      kind: "unix",
      socketPath: "/run/user/1000/docker.sock",
      source: "DOCKER_HOST",
    });
    expect(resolveEngineEndpoint({ ...empty(), DOCKER_HOST: "tcp://10.0.0.7" })).toMatchObject({
      kind: "tcp",
      hostname: "10.0.0.7",
      port: 2375,
      host: "tcp://10.0.0.7:2375",
      tls: undefined,
    });
    expect(resolveEngineEndpoint({ ...empty(), DOCKER_HOST: "tcp://engine.example:4243" })).toMatchObject({
      hostname: "engine.example",
      port: 4243,
    });
    expect(resolveEngineEndpoint({ ...empty(), DOCKER_HOST: "127.0.0.1:2375" })).toMatchObject({
      kind: "tcp",
      hostname: "127.0.0.1",
      port: 2375,
    });
    expect(resolveEngineEndpoint({ ...empty(), DOCKER_HOST: "tcp://[::1]:2375" })).toMatchObject({
      hostname: "::1",
      host: "tcp://[::1]:2375",
    });
    expect(resolveEngineEndpoint({ ...empty(), DOCKER_HOST: "ssh://me@box" })).toMatchObject({
      kind: "ssh",
      hostname: "box",
      port: 22,
      username: "me",
    });
  });

  it("refuses DOCKER_HOST values that name no engine, saying which setting is wrong", () => {
    expect(resolveError({ ...empty(), DOCKER_HOST: "unix://" })).toContain("DOCKER_HOST is unix://");
    expect(resolveError({ ...empty(), DOCKER_HOST: "npipe:////./pipe/docker_engine" })).toContain(
      "unix://, tcp:// and ssh:// only",
    );
    expect(resolveError({ ...empty(), DOCKER_HOST: "tcp://" })).toContain("DOCKER_HOST");
  });

  it("uses TLS for DOCKER_HOST as the docker CLI does: DOCKER_TLS_VERIFY verifies, DOCKER_TLS alone does not; certs from DOCKER_CERT_PATH", () => {
    const certs = path.join(scratch, "certs");
    mkdirSync(certs, { recursive: true });
    writeFileSync(path.join(certs, "ca.pem"), "CA");
    writeFileSync(path.join(certs, "cert.pem"), "CERT");
    writeFileSync(path.join(certs, "key.pem"), "KEY");
    const verified = resolveEngineEndpoint({
      ...empty(),
      DOCKER_HOST: "tcp://engine.example",
      DOCKER_TLS_VERIFY: "1",
      DOCKER_CERT_PATH: certs,
    });
    expect(verified).toMatchObject({ port: 2376, tls: { verify: true } });
    expect(verified.tls?.ca?.toString()).toBe("CA");
    expect(verified.tls?.key?.toString()).toBe("KEY");
    expect(
      resolveEngineEndpoint({
        ...empty(),
        DOCKER_HOST: "tcp://engine.example:2376",
        DOCKER_TLS: "1",
        DOCKER_CERT_PATH: certs,
      }).tls,
    ).toMatchObject({ verify: false });
    // DOCKER_CERT_PATH alone does not turn TLS on (docker CLI: only --tls/--tlsverify and their variables do).
    expect(
      resolveEngineEndpoint({ ...empty(), DOCKER_HOST: "tcp://engine.example:2375", DOCKER_CERT_PATH: certs }).tls,
    ).toBeUndefined();
  });

  it("follows config.json's currentContext to the context's endpoint", () => {
    const config = dockerConfig(
      { remote: { host: "tcp://192.0.2.10:2375" }, local: { host: "unix:///tmp/other.sock" } },
      "remote",
    );
    expect(resolveEngineEndpoint({ DOCKER_CONFIG: config })).toMatchObject({
      kind: "tcp",
      hostname: "192.0.2.10",
      port: 2375,
      source: 'Docker context "remote"',
    });
    // DOCKER_CONTEXT wins over config.json; DOCKER_HOST wins over both.
    expect(resolveEngineEndpoint({ DOCKER_CONFIG: config, DOCKER_CONTEXT: "local" })).toMatchObject({
      socketPath: "/tmp/other.sock",
      howToChange: "DOCKER_CONTEXT",
    });
    expect(
      resolveEngineEndpoint({ DOCKER_CONFIG: config, DOCKER_CONTEXT: "local", DOCKER_HOST: "unix:///x.sock" }),
    ).toMatchObject({ socketPath: "/x.sock", source: "DOCKER_HOST" });
    // The context named "default" is DOCKER_HOST-or-the-default-socket, as in the docker CLI.
    expect(resolveEngineEndpoint({ DOCKER_CONFIG: config, DOCKER_CONTEXT: "default" })).toMatchObject({
      socketPath: "/var/run/docker.sock",
      source: "the default socket",
    });
    expect(resolveEngineEndpoint({ DOCKER_CONFIG: dockerConfig({}, "default") })).toMatchObject({
      socketPath: "/var/run/docker.sock",
    });
  });

  it("takes a context's TLS material and SkipTLSVerify", () => {
    const config = dockerConfig(
      {
        secure: { host: "tcp://engine.example:2376", tls: { "ca.pem": "CA" } },
        loose: { host: "tcp://engine.example:2376", skipVerify: true },
      },
      "secure",
    );
    expect(resolveEngineEndpoint({ DOCKER_CONFIG: config }).tls).toMatchObject({ verify: true });
    expect(resolveEngineEndpoint({ DOCKER_CONFIG: config }).tls?.ca?.toString()).toBe("CA");
    expect(resolveEngineEndpoint({ DOCKER_CONFIG: config, DOCKER_CONTEXT: "loose" }).tls).toMatchObject({
      verify: false,
    });
  });

  it("says clearly when the current context does not exist or config.json is broken", () => {
    const missing = resolveError({ DOCKER_CONFIG: dockerConfig({}, "gone") });
    expect(missing).toContain('The current Docker context "gone"');
    expect(missing).toContain("config.json");
    expect(resolveError({ DOCKER_CONFIG: dockerConfig({}), DOCKER_CONTEXT: "nope" })).toContain(
      "(from DOCKER_CONTEXT) does not exist",
    );
    const broken = dockerConfig({});
    writeFileSync(path.join(broken, "config.json"), "{not json");
    expect(resolveError({ DOCKER_CONFIG: broken })).toContain("is not a JSON object");
  });

  it("tells local engines from remote ones", () => {
    expect(isLocalEndpoint(resolveEngineEndpoint({ DOCKER_HOST: "unix:///x.sock" }))).toBe(true);
    expect(isLocalEndpoint(resolveEngineEndpoint({ DOCKER_HOST: "tcp://127.0.0.1:2375" }))).toBe(true);
    expect(isLocalEndpoint(resolveEngineEndpoint({ DOCKER_HOST: "tcp://10.1.2.3:2375" }))).toBe(false);
  });
});

describe("connectEngine", () => {
  it("gives dockerode the resolved endpoint, whatever docker-modem would guess from the environment", () => {
    const saved = process.env.DOCKER_HOST;
    // docker-modem alone turns an unset DOCKER_HOST into a socketPath *function* (the original crash).
    delete process.env.DOCKER_HOST;
    try {
      const unix = connectEngine(resolveEngineEndpoint({ DOCKER_CONFIG: path.join(scratch, "absent") }));
      expect((unix.modem as unknown as { socketPath: unknown }).socketPath).toBe("/var/run/docker.sock");
      expect(endpointOf(unix).source).toBe("the default socket");
      const tcp = connectEngine(resolveEngineEndpoint({ DOCKER_HOST: "tcp://127.0.0.1:2999" }));
      expect(tcp.modem).toMatchObject({ host: "127.0.0.1", port: 2999, protocol: "http" });
      expect((tcp.modem as unknown as { socketPath?: unknown }).socketPath).toBeUndefined();
    } finally {
      if (saved !== undefined) process.env.DOCKER_HOST = saved;
    }
    expect(process.env.DOCKER_HOST).toBe(saved);
  });

  it("explains a missing engine in one line naming the address and where it came from", () => {
    const endpoint = resolveEngineEndpoint({ DOCKER_CONFIG: path.join(scratch, "absent") });
    const line = explainEngineError(Object.assign(new Error("connect ENOENT"), { code: "ENOENT" }), endpoint);
    expect(line).not.toContain("\n");
    expect(line).toMatch(
      /^No Docker engine at unix:\/\/\/var\/run\/docker\.sock \(the default socket; DOCKER_HOST is not set/,
    );
    expect(line).toContain("systemctl start docker");
  });
});
