import type { Socket } from 'node:net';
import { type Frame, Framer } from './framer.js';
import { ProtocolError } from './wire.js';

/**
 * Async reading of whole messages from a socket, for the handshake phases (startup, authentication) that are
 * naturally sequential. {@link FrameQueue.detach} stops reading and hands every unconsumed byte back, so the
 * event-driven relay can take over the socket without losing or reordering anything.
 */
export class FrameQueue {
  private readonly framer: Framer;
  private readonly frames: Frame[] = [];
  private waiter: { resolve: (frame: Frame) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly onData = (chunk: Buffer) => this.push(chunk);
  private readonly onEnd = () => this.fail(new ProtocolError('the connection closed during the handshake'));
  private readonly onError = (error: Error) => this.fail(error);

  /** @param maxMessageBytes largest message accepted during the handshake (authentication messages are small) */
  constructor(
    private readonly socket: Socket,
    initial?: Buffer,
    maxMessageBytes = 1024 * 1024,
  ) {
    this.framer = new Framer(maxMessageBytes);
    if (initial?.length) this.push(initial);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
    socket.resume();
  }

  /**
   * The next message, waiting up to `timeoutMs`.
   * @throws ProtocolError when the peer closes or sends malformed framing, or Error on timeout
   */
  next(timeoutMs = 30_000): Promise<Frame> {
    const ready = this.frames.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no reply within ${timeoutMs} ms during the handshake`));
      }, timeoutMs);
      this.waiter = {
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  /**
   * Stops reading from the socket (pausing it, so nothing is lost until the next reader resumes it) and
   * returns the bytes received but not consumed, in order.
   */
  detach(): Buffer {
    this.socket.pause();
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    return Buffer.concat([...this.frames.map((frame) => frame.raw), this.framer.takePending()]);
  }

  private push(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.framer.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    for (const frame of frames) {
      // Copy: the handshake may hold a message while later chunks arrive.
      const copy = { ...frame, raw: Buffer.from(frame.raw) };
      copy.body = copy.raw.subarray(5);
      const waiter = this.waiter;
      if (waiter) {
        this.waiter = undefined;
        waiter.resolve(copy);
      } else {
        this.frames.push(copy);
      }
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.failure);
  }
}
