import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CappedCollector } from './body.js';
import type { SseParser } from './sse.js';
import { endCutReply } from './stream-cut.js';

/** The upstream's response head, as recorded: relayed once the checkpoint recording it commits. */
export interface ReplyHead {
  /** HTTP status code. */
  status: number;
  statusMessage: string | undefined;
  /** Header names and values, alternating, as Node's `rawHeaders` (those fit to relay, ./wire.ts). */
  headers: string[];
}

/** A reply that is not an event stream: held whole until its outcome is sealed, up to the storage cap. */
export interface WholeReply {
  /** What the recorder kept of the (decoded) body; its `total` counts every byte seen, in bytes. */
  collector: CappedCollector;
  /** The storage cap, in bytes: past it the reply is not held any more and streams on. */
  capBytes: number;
  /** True once the exchange's outcome is decided (its seal is written, or held here until it commits). */
  sealed: () => boolean;
}

/** The two ends of one relayed reply, and how its bytes may be held. */
export interface ReplyOutboxInit {
  /** The response to the client. */
  res: ServerResponse;
  /** The upstream's reply, paused while the client reads slower than it sends. */
  upstream: IncomingMessage;
  head: ReplyHead;
  /** Set for a reply that is not an event stream. */
  whole: WholeReply | undefined;
}

/**
 * The client-facing side of one exchange: the reply's head and bytes on their way to the client.
 *
 * Recorded before forwarded (DESIGN.md, promise 1): bytes reach the client only after the record covering
 * them is committed. The outbox keeps that mechanical; the exchange decides what needs covering. Before it
 * queues a commit that must cover what is in the outbox it takes a {@link ReplyOutbox.hold}, and when the
 * commit is confirmed it calls {@link ReplyOutbox.release}; while any hold is out nothing leaves, neither
 * head nor body. The head leaves with the first body bytes (as a plain proxy sends it), and a reply that is
 * not an event stream is held whole, head included, until its outcome is sealed (up to the storage cap), so
 * that a reply the upstream cuts off can still be answered with an error instead. What the exchange relays
 * without a hold (bare deltas between checkpoints; a compressed reply, recorded from a decoded side stream)
 * is its own choice, made in ./exchange.ts.
 *
 * Backpressure: when the client's socket is full, the upstream is paused until it drains.
 */
export class ReplyOutbox {
  /** The response to the client. */
  readonly res: ServerResponse;
  private readonly upstream: IncomingMessage;
  private readonly whole: WholeReply | undefined;
  private readonly chunks: Buffer[] = [];
  /** Commits the outbox is waiting for. */
  private holds = 0;
  /** The response head, until it is written. */
  private headPending: ReplyHead | undefined;
  /** The first token has been put on the wire ({@link ReplyOutbox.sendFirstToken}). */
  private firstTokenSent = false;
  /** The upstream reply has ended: it is not paused for a slow client any more. */
  upstreamEnded = false;

  constructor(init: ReplyOutboxInit) {
    this.res = init.res;
    this.upstream = init.upstream;
    this.whole = init.whole;
    this.headPending = init.head;
  }

  /** True when a chunk pushed now could go straight to the client: nothing is held and the head is out. */
  get open(): boolean {
    return this.holds === 0 && this.res.headersSent;
  }

  /** Queues reply bytes for the client; they leave at the next {@link ReplyOutbox.drain} that is not held. */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  /** Holds everything in the outbox, and all that is pushed after it, until the matching release. */
  hold(): void {
    this.holds++;
  }

  /** Gives back one hold (its commit is confirmed), then drains. */
  release(): void {
    this.holds--;
    this.drain();
  }

  /** Writes the outbox to the client unless a commit it depends on is pending. */
  drain(): void {
    const res = this.res;
    if (this.holds > 0 || this.holdsWholeReply()) return;
    this.sendHead();
    if (!res.headersSent || this.chunks.length === 0 || res.destroyed) return;
    let ok = true;
    for (const chunk of this.chunks.splice(0)) ok = res.write(chunk) && ok;
    if (!ok && !this.upstreamEnded) {
      this.upstream.pause();
      res.once('drain', () => this.upstream.resume());
    }
  }

  /** Writes the recorded response head (it leaves with the first body bytes, as a plain proxy sends it). */
  sendHead(): void {
    const head = this.headPending;
    const res = this.res;
    // Every abort path destroys the response; the exchange may already be sealed here because a batch runs
    // all its writes (this exchange's seal included) before any continuation.
    if (!head || res.destroyed || res.headersSent || this.holdsWholeReply()) return;
    this.headPending = undefined;
    res.writeHead(head.status, head.statusMessage, head.headers);
  }

  /**
   * Gives back the hold the seal took and ends the response: the last held bytes and the end of the body
   * leave in one write (with the head, if it is still here).
   */
  end(): void {
    this.res.cork();
    this.sendHead();
    this.release();
    this.res.end();
    this.res.uncork();
  }

  /**
   * Ends a reply the upstream cut off, its outcome already sealed: the client gets what was held, then an
   * error it can read as one (./stream-cut.ts). `parser`: the one that saw every byte pushed here, when the
   * reply is an event stream read as it is sent.
   */
  endCut(parser: SseParser | undefined, message: string): void {
    endCutReply({ res: this.res, parser, outbox: this.chunks, sendHead: () => this.sendHead() }, message);
  }

  /**
   * Puts the reply's first token on the wire now, once it has left the outbox; call it after the first token
   * is observed. Node corks a response's socket until the loop turn ends, so a token relayed from a burst that
   * arrived in one read would otherwise wait until the whole burst was recorded (and, when the reply ended in
   * it, sealed).
   */
  sendFirstToken(): void {
    if (this.firstTokenSent || this.chunks.length > 0) return;
    const socket = this.res.headersSent ? this.res.socket : null;
    this.firstTokenSent = socket !== null;
    if (socket?.writableCorked) socket.uncork();
  }

  /**
   * True while a non-streamed reply is held whole, head included, until its outcome is sealed (up to the
   * storage cap): until then a reply the upstream cuts off can still be answered with an error instead.
   * Node sends a head with the first body bytes anyway, so holding it changes nothing on the wire.
   */
  private holdsWholeReply(): boolean {
    const whole = this.whole;
    return whole !== undefined && !whole.sealed() && whole.collector.total <= whole.capBytes;
  }
}
