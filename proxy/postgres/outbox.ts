import type { Socket } from 'node:net';

/**
 * Bytes on their way to `destination` that may have to wait: while any hold is taken (a commit the bytes
 * depend on is pending), they queue; once released they are written in order. Writes respect backpressure by
 * pausing `source` until the destination drains.
 */
export class Outbox {
  private readonly queue: Buffer[] = [];
  private holds = 0;

  constructor(
    private readonly destination: Socket,
    private readonly source: Socket,
  ) {}

  /** Queues bytes, writing them at once when nothing is held. */
  push(chunk: Buffer): void {
    this.queue.push(chunk);
    this.drain();
  }

  /** Makes later and queued bytes wait until the matching {@link Outbox.release}. */
  hold(): void {
    this.holds++;
  }

  /** Drops whatever is queued (the session ended; it will never be sent). */
  clear(): void {
    this.queue.length = 0;
  }

  release(): void {
    this.holds--;
    this.drain();
  }

  private drain(): void {
    if (this.holds > 0 || this.queue.length === 0 || this.destination.destroyed) return;
    let ok = true;
    if (this.queue.length === 1) ok = this.destination.write(this.queue.pop()!);
    else {
      this.destination.cork();
      for (const chunk of this.queue.splice(0)) ok = this.destination.write(chunk) && ok;
      this.destination.uncork();
    }
    if (!ok && !this.source.isPaused()) {
      this.source.pause();
      this.destination.once('drain', () => this.source.resume());
    }
  }
}
