/**
 * Receiving a request body before it is recorded, within bounds: its size, the time it may take to arrive,
 * and the bytes all requests still arriving may hold in memory together. A client that sends a body at
 * 1 byte/s, or opens many large bodies and never finishes them, is refused rather than holding the proxy's
 * memory and connections.
 */
import type { IncomingMessage } from 'node:http';
import type { Refusal } from './guards.js';

/** Bytes of request bodies still arriving, summed over every request of one proxy, against a cap. */
export class PendingBytes {
  private used = 0;

  /** @param capBytes most bytes held at once, over all requests */
  constructor(readonly capBytes: number) {}

  /** Bytes held now. */
  get total(): number {
    return this.used;
  }

  /** Takes `bytes` if the cap allows; returns false (taking nothing) when it does not. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.capBytes) return false;
    this.used += bytes;
    return true;
  }

  /** Gives back bytes taken before. */
  give(bytes: number): void {
    this.used -= bytes;
  }
}

/** The bounds a request body is received within. */
export interface BodyLimits {
  /** Largest body accepted, bytes. */
  maxRequestBytes: number;
  /** Longest the body may take to arrive in full once the request's head is in, ms. */
  timeoutMs: number;
  /** The proxy's shared budget of bytes still arriving. */
  pending: PendingBytes;
}

/**
 * Collects `req`'s body and calls `onBody` once with all of it, or `onRefused` once with why it is refused:
 * 413 `request_too_large` over `maxRequestBytes`, 408 `timeout_error` when it has not arrived in full after
 * `timeoutMs`, 529 `overloaded_error` when its bytes would take the bytes held over all requests past the
 * cap. A refused body's remaining bytes are read and dropped. Bytes are held against `pending` until the
 * body is whole, refused, or the client goes away.
 */
export function receiveBody(
  req: IncomingMessage,
  limits: BodyLimits,
  onBody: (body: Buffer) => void,
  onRefused: (refusal: Refusal) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  // With a Content-Length, the body is whole once that many bytes are in: go on at once rather than a tick
  // later at 'end' (the HTTP parser delivers no more body bytes after them).
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  const settle = () => {
    done = true;
    clearTimeout(timer);
    limits.pending.give(size);
    chunks.length = 0;
  };
  const refuse = (refusal: Refusal) => {
    if (done) return;
    settle();
    req.resume();
    onRefused(refusal);
  };
  const finish = () => {
    if (done) return;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    settle();
    onBody(body);
  };
  const timer = setTimeout(
    () =>
      refuse({
        status: 408,
        type: 'timeout_error',
        message: `the request body did not arrive in full within ${limits.timeoutMs} ms; raise "anthropic.requestBodyTimeoutMs" in config.json if this is expected`,
      }),
    limits.timeoutMs,
  );
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    if (done) return;
    if (size + chunk.length > limits.maxRequestBytes) {
      return refuse({
        status: 413,
        type: 'request_too_large',
        message: `request body over ${limits.maxRequestBytes} bytes; raise "anthropic.maxRequestBytes" in config.json if this is expected`,
      });
    }
    if (!limits.pending.take(chunk.length)) {
      return refuse({
        status: 529,
        type: 'overloaded_error',
        message: `request bodies still arriving already hold ${limits.pending.total} bytes; raise "anthropic.maxPendingRequestBytes" in config.json if this is expected`,
      });
    }
    size += chunk.length;
    chunks.push(chunk);
    if (size === declared) finish();
  });
  req.on('end', finish);
  // The client went away before its body was whole: nothing to answer, only the bytes to give back.
  req.on('close', () => {
    if (!done) settle();
  });
}
