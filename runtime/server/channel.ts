/**
 * Newline-delimited JSON messages over a stream socket (fd 3 between the server and its worker). Messages sent
 * during one task (a callback plus the promise jobs it triggers) go out in one write at the end of that task:
 * under concurrent load this saves system calls, and unlike a setImmediate it costs no extra event-loop turn.
 */
import type { Duplex } from "node:stream";

export class MessageChannel<Out, In> {
  private pending = "";
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
      const data = this.buffered === "" ? text : this.buffered + text;
      while ((end = data.indexOf("\n", start)) >= 0) {
        onMessage(JSON.parse(data.slice(start, end)) as In);
        start = end + 1;
      }
      this.buffered = start === data.length ? "" : data.slice(start);
    });
    socket.on("error", () => undefined);
  }

  /** Queues a message; it is written when the current task's synchronous code and promise jobs have run. */
  send(message: Out): void {
    this.pending += JSON.stringify(message) + "\n";
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(this.flush);
  }

  private readonly flush = () => {
    this.scheduled = false;
    const text = this.pending;
    this.pending = "";
    if (!this.socket.destroyed) this.socket.write(text);
  };
}
