/**
 * Newline-delimited JSON messages over a stream socket (fd 3 between the server and its worker). Messages sent
 * in one event-loop turn after the first go out in one write: under concurrent load this saves system calls.
 */
import type { Duplex } from "node:stream";

export class MessageChannel<Out, In> {
  private queue: string[] = [];
  private scheduled = false;
  private buffered = "";

  constructor(
    private readonly socket: Duplex,
    onMessage: (message: In) => void,
  ) {
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      let start = 0;
      let end: number;
      const data = this.buffered + text;
      while ((end = data.indexOf("\n", start)) >= 0) {
        onMessage(JSON.parse(data.slice(start, end)) as In);
        start = end + 1;
      }
      this.buffered = data.slice(start);
    });
    socket.on("error", () => undefined);
  }

  /**
   * The first message of an event-loop turn is written at once (no added latency); later ones in the same turn
   * are queued and written together when the turn ends.
   */
  send(message: Out): void {
    const text = JSON.stringify(message);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
      if (!this.socket.destroyed) this.socket.write(text + "\n");
      return;
    }
    this.queue.push(text);
  }

  private readonly flush = () => {
    this.scheduled = false;
    if (this.queue.length === 0 || this.socket.destroyed) return;
    const text = this.queue.join("\n") + "\n";
    this.queue = [];
    this.socket.write(text);
  };

  /** Writes what is queued now (before exiting). */
  flushNow(): void {
    this.flush();
  }
}
