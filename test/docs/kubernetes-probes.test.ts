/**
 * The probes of the Deployment in docs/kubernetes.md, run exactly as written (their `exec.command`, with PORT
 * pointing at the server as it would inside the pod) against a real cogts server in each state: traffic only to a
 * pod that can take a prediction, a restart for a pod whose setup failed or that stopped answering, and time for
 * setup. `node` in the command is this Node, the same runtime that serves predictions in the image.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { codeBlocks } from "./markdown.js";
import { startServer, type RunningServer } from "../server/helpers.js";

const REPO = join(import.meta.dirname, "..", "..");
const PROBES = ["startupProbe", "readinessProbe", "livenessProbe"] as const;
type ProbeName = (typeof PROBES)[number];

interface Probe {
  command: string[];
  timeoutSeconds: number;
}

/** The three probes of the Deployment's model container, as the page shows them. */
function documentedProbes(): Record<ProbeName, Probe> {
  const block = codeBlocks(join(REPO, "docs", "kubernetes.md")).find(
    (b) => b.lang === "yaml" && b.code.includes("kind: Deployment"),
  );
  if (!block) throw new Error("docs/kubernetes.md has no Deployment");
  const deployment = parseAllDocuments(block.code)[0]!.toJSON() as {
    spec: {
      template: { spec: { containers: Record<string, { exec?: { command?: string[] }; timeoutSeconds?: number }>[] } };
    };
  };
  const container = deployment.spec.template.spec.containers[0]!;
  const probes = {} as Record<ProbeName, Probe>;
  for (const name of PROBES) {
    const command = container[name]?.exec?.command;
    // An httpGet probe passes whenever the server listens: it cannot tell these states apart.
    expect(command, `${name} must be an exec probe that reads the state`).toBeDefined();
    probes[name] = { command: command!, timeoutSeconds: container[name]!.timeoutSeconds ?? 1 };
  }
  return probes;
}

/** Runs the probe's command as the kubelet would (exit code 0 = success), with the server's port in PORT. */
function runProbe(probe: Probe, port: number): Promise<boolean> {
  const [program, ...args] = probe.command;
  return new Promise((resolve, reject) => {
    const child = spawn(program === "node" ? process.execPath : program!, args, {
      env: { ...process.env, PORT: String(port) },
      stdio: "ignore",
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve(false);
    }, probe.timeoutSeconds * 1000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

async function outcomes(port: number): Promise<Record<ProbeName, boolean>> {
  const probes = documentedProbes();
  const result = {} as Record<ProbeName, boolean>;
  for (const name of PROBES) result[name] = await runProbe(probes[name], port);
  return result;
}

const servers: RunningServer[] = [];
const scratch = mkdtempSync(join(tmpdir(), "cogts-k8s-probes-"));
afterAll(async () => {
  for (const server of servers) await server.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function started(...args: Parameters<typeof startServer>): Promise<RunningServer> {
  const server = await startServer(...args);
  servers.push(server);
  return server;
}

describe("the probes of docs/kubernetes.md", () => {
  it("STARTING: not started yet, no traffic, not restarted", async () => {
    const server = await started("setup_slow", { env: { SETUP_SECONDS: "60" }, waitFor: "STARTING" });
    expect(await outcomes(server.port)).toEqual({ startupProbe: false, readinessProbe: false, livenessProbe: true });
    expect((await server.health()).status).toBe("STARTING");
  });

  // One server for READY, then BUSY, then gone.
  let sleeper: RunningServer;

  it("READY: started, gets traffic, alive", async () => {
    const server = (sleeper = await started("sleep"));
    expect(await outcomes(server.port)).toEqual({ startupProbe: true, readinessProbe: true, livenessProbe: true });
  });

  it("BUSY: no traffic while its only slot is taken, alive", async () => {
    const server = sleeper;
    const accepted = await fetch(`${server.url}/predictions`, {
      method: "POST",
      headers: { "content-type": "application/json", prefer: "respond-async" },
      body: JSON.stringify({ input: { seconds: 45, steps: 1 } }),
    });
    expect(accepted.status).toBe(202);
    await server.waitFor("BUSY");
    expect(await outcomes(server.port)).toEqual({ startupProbe: true, readinessProbe: false, livenessProbe: true });
    expect((await server.health()).status).toBe("BUSY");
  });

  it("SETUP_FAILED: started (setup is over), no traffic, restarted", async () => {
    const server = await started("setup_fail", { waitFor: "SETUP_FAILED" });
    expect(await outcomes(server.port)).toEqual({ startupProbe: true, readinessProbe: false, livenessProbe: false });
  });

  it("UNHEALTHY: no traffic while healthcheck() fails, not restarted for it", async () => {
    const flag = join(scratch, "unhealthy");
    const server = await started("healthcheck", { env: { UNHEALTHY_FLAG: flag } });
    writeFileSync(flag, "");
    expect((await server.health()).status).toBe("UNHEALTHY");
    expect(await outcomes(server.port)).toEqual({ startupProbe: true, readinessProbe: false, livenessProbe: true });
    rmSync(flag);
    expect(await outcomes(server.port)).toEqual({ startupProbe: true, readinessProbe: true, livenessProbe: true });
  });

  it("no server answering: every probe fails", async () => {
    const server = sleeper;
    await server.stop();
    expect(await outcomes(server.port)).toEqual({ startupProbe: false, readinessProbe: false, livenessProbe: false });
  });
});
