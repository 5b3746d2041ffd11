/**
 * Per-blob push progress: live lines redrawn in place on a TTY, plain lines (start and finish) otherwise.
 */
export interface ProgressSink {
  start(id: string, total: number): void;
  update(id: string, change: { sent?: number; reset?: boolean; resumed?: boolean }): void;
  finish(id: string, outcome: "exists" | "mounted" | "pushed"): void;
  /** A line of its own, for what the user should know (a slower fallback taken). */
  note?(text: string): void;
  /** Stops redrawing; prints the final state. */
  close(): void;
}

interface Row {
  total: number;
  sent: number;
  state: string;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)}MB`;
}

export function createProgress(out: NodeJS.WritableStream & { isTTY?: boolean }): ProgressSink {
  const rows = new Map<string, Row>();
  const live = Boolean(out.isTTY);
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const line = (id: string, r: Row) => {
    if (r.state !== "uploading")
      return `${id}: ${r.state === "exists" ? "Layer already exists" : r.state === "mounted" ? "Mounted from another repository" : r.state === "pushed" ? `Pushed ${mb(r.total)}` : "Waiting"}`;
    const pct = r.total ? Math.min(100, Math.floor((r.sent / r.total) * 100)) : 100;
    const bar = "=".repeat(Math.floor(pct / 5)).padEnd(20, " ");
    return `${id}: Pushing [${bar}] ${mb(r.sent)}/${mb(r.total)}`;
  };
  const draw = () => {
    if (!live) return;
    let text = drawn ? `\x1b[${drawn}A` : "";
    for (const [id, r] of rows) text += `\x1b[2K${line(id, r)}\n`;
    drawn = rows.size;
    out.write(text);
  };
  return {
    start(id, total) {
      rows.set(id, { total, sent: 0, state: "waiting" });
      if (live) {
        timer ??= setInterval(draw, 200);
        timer.unref();
        draw();
      }
    },
    update(id, change) {
      const r = rows.get(id);
      if (!r) return;
      if (change.reset) {
        r.sent = 0;
        r.state = "uploading";
        if (!live) out.write(`${id}: Pushing ${mb(r.total)}\n`);
      }
      if (change.sent) r.sent += change.sent;
      if (change.resumed && !live) out.write(`${id}: Resuming at ${mb(r.sent)}\n`);
    },
    finish(id, outcome) {
      const r = rows.get(id);
      if (!r) return;
      r.state = outcome;
      r.sent = r.total;
      if (!live) out.write(`${line(id, r)}\n`);
    },
    note(text) {
      out.write(`${text}\n`);
      // The live rows are redrawn below the note from now on.
      drawn = 0;
    },
    close() {
      if (timer) clearInterval(timer);
      draw();
    },
  };
}
