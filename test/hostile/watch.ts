/**
 * Shared by the hostile-input tests of the worker side: a memory watch on the server process (the test fails,
 * not the machine, when memory runs away) and small request helpers.
 */
import { readFileSync } from "node:fs";
import { MB, residentBytes } from "../helpers/memory.js";
import { type RunningServer } from "../server/helpers.js";
import { request, type JsonResponse } from "../helpers/http.js";

export interface MemoryWatch {
  /** Highest resident size seen, in MiB. */
  peakMiB(): number;
  /** Whether the server was killed for going over the limit. */
  exceeded(): boolean;
  stop(): void;
}

function residentMiB(pid: number): number | undefined {
  const bytes = residentBytes(pid);
  return bytes === undefined ? undefined : bytes / MB;
}

/** Reads the server's VmRSS every 50 ms; past `limitMiB` the server is killed (and `exceeded()` says so). */
export function watchMemory(server: RunningServer, limitMiB: number): MemoryWatch {
  let peak = 0;
  let over = false;
  const pid = server.process.pid!;
  const timer = setInterval(() => {
    const rss = residentMiB(pid);
    if (rss === undefined) return;
    peak = Math.max(peak, rss);
    if (rss > limitMiB && !over) {
      over = true;
      server.process.kill("SIGKILL");
    }
  }, 50);
  return { peakMiB: () => peak, exceeded: () => over, stop: () => clearInterval(timer) };
}

/** A sync prediction of the hostile fixture, bounded in time. */
export function predict(
  server: RunningServer,
  input: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  return request(`${server.url}/predictions`, { body: { input, ...extra }, headers });
}

/** Whether a process is alive (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}
