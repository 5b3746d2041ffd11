/**
 * Bounds on webhook deliveries, so that a receiver that hangs costs the server a few sockets and a bounded queue
 * rather than one socket and one body per event (an iterator of 200 items opened 200 connections to a receiver
 * that never answered, each held for the 30 s timeout, each with its snapshot).
 *
 *   const delivered = await deliveries.run(new URL(url).origin, body.length, () => post(body)); // false: dropped
 */

/** Requests in flight to one receiver (origin) at once. */
export const MAX_PER_ORIGIN = 8;
/** Deliveries waiting for a free connection, all receivers together, and the bytes of their bodies. */
const MAX_WAITING = 1000;
const MAX_WAITING_BYTES = 64 * 1024 * 1024;

interface Waiting {
  bytes: number;
  start: () => void;
}

class DeliveryLimiter {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, Waiting[]>();
  private waitingCount = 0;
  private waitingBytes = 0;

  constructor(
    readonly perOrigin = MAX_PER_ORIGIN,
    readonly maxWaiting = MAX_WAITING,
    readonly maxWaitingBytes = MAX_WAITING_BYTES,
  ) {}

  /**
   * Runs `send` once fewer than `perOrigin` sends to `origin` are in flight; resolves true when it ran (whatever
   * its outcome), false when the queue was full and it was dropped.
   */
  run(origin: string, bytes: number, send: () => Promise<unknown>): Promise<boolean> {
    const go = () =>
      send()
        .catch(() => undefined)
        .finally(() => this.done(origin))
        .then(() => true);
    const active = this.active.get(origin) ?? 0;
    if (active < this.perOrigin) {
      this.active.set(origin, active + 1);
      return go();
    }
    if (this.waitingCount >= this.maxWaiting || this.waitingBytes + bytes > this.maxWaitingBytes)
      return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const queue = this.waiting.get(origin) ?? [];
      queue.push({ bytes, start: () => void go().then(resolve) });
      this.waiting.set(origin, queue);
      this.waitingCount++;
      this.waitingBytes += bytes;
    });
  }

  private done(origin: string): void {
    const queue = this.waiting.get(origin);
    const next = queue?.shift();
    if (next) {
      if (queue!.length === 0) this.waiting.delete(origin);
      this.waitingCount--;
      this.waitingBytes -= next.bytes;
      // The slot passes straight to the next delivery for this receiver.
      next.start();
      return;
    }
    const active = (this.active.get(origin) ?? 1) - 1;
    if (active > 0) this.active.set(origin, active);
    else this.active.delete(origin);
  }
}

/** The server's one limiter: every prediction's webhooks share it. */
export const deliveries = new DeliveryLimiter();
