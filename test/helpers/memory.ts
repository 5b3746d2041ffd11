/**
 * Watches the resident memory of a process (and, optionally, its children) from /proc, so that a hostile-input
 * test fails, rather than the machine, when the server's memory runs away: past the limit the process is killed
 * at once and `check()` throws.
 *
 *   const watch = watchMemory(server.process.pid!, { limitBytes: 600 * MB });
 *   ... load ...
 *   const { peakBytes } = watch.check(); // throws if the limit was crossed
 */
import { readFileSync } from "node:fs";

export const MB = 1024 * 1024;

/** VmRSS of `pid` in bytes, or undefined once the process is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The direct children of `pid` (every thread's list). */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  try {
    const tasks = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8");
    for (const id of tasks.split(/\s+/)) if (id) children.push(Number(id));
  } catch {
    /* gone */
  }
  return children;
}

/** User plus system CPU time `pid` has used so far, in milliseconds (clock ticks of 10 ms). */
export function cpuMillis(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export interface MemoryWatch {
  /** The largest resident size seen so far (bytes above the baseline, and total). */
  readonly peakBytes: number;
  readonly baselineBytes: number;
  /** Stops watching; throws when the limit was crossed (the process was then killed). */
  check(): { peakBytes: number; peakAboveBaseline: number };
  stop(): void;
}

export interface WatchOptions {
  /** Resident bytes above the size at the start of the watch that fail the test. */
  limitBytes: number;
  /** Add the children's resident memory (the worker) to the process's. */
  includeChildren?: boolean;
  intervalMs?: number;
}

/** Samples the process's VmRSS every `intervalMs` (25 ms) until stopped; kills it with SIGKILL past the limit. */
export function watchMemory(pid: number, options: WatchOptions): MemoryWatch {
  const sample = () => {
    let total = residentBytes(pid);
    if (total === undefined) return undefined;
    if (options.includeChildren) for (const child of childPids(pid)) total += residentBytes(child) ?? 0;
    return total;
  };
  const baseline = sample() ?? 0;
  let peak = baseline;
  let exceeded: string | undefined;
  const timer = setInterval(() => {
    const now = sample();
    if (now === undefined) return;
    if (now > peak) peak = now;
    if (now - baseline > options.limitBytes && !exceeded) {
      exceeded = `process ${pid} grew to ${Math.round(now / MB)} MB resident, ${Math.round((now - baseline) / MB)} MB above its ${Math.round(baseline / MB)} MB at the start (limit ${Math.round(options.limitBytes / MB)} MB): killed`;
      try {
        for (const child of childPids(pid)) process.kill(child, "SIGKILL");
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }, options.intervalMs ?? 25);
  timer.unref();
  return {
    get peakBytes() {
      return peak;
    },
    baselineBytes: baseline,
    check() {
      clearInterval(timer);
      if (exceeded) throw new Error(exceeded);
      return { peakBytes: peak, peakAboveBaseline: peak - baseline };
    },
    stop: () => clearInterval(timer),
  };
}
