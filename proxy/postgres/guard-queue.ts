/**
 * The guard gate's send queue (guard-gate.ts): client messages go upstream strictly in the order they were
 * sent, so everything behind a statement held for approval waits with it — in memory up to
 * {@link MAX_QUEUED_BYTES}, then in the client's own socket, which is not read until the queue drains.
 */
import type { Approval } from '../policy/guard/types.js';
import type { GuardVerdict } from './guard-refusals.js';
import { FRONTEND } from './messages.js';
import { Pieces } from './pieces.js';

/**
 * Bytes of client messages kept behind held statements before the client's socket stops being read (1 MiB):
 * a client that goes on sending while a person decides waits in its own socket (TCP backpressure), not in
 * the engine's memory. A socket read already taken is queued whole, so the queue can pass this by one read.
 */
export const MAX_QUEUED_BYTES = 1024 * 1024;

/** Frames of an extended-protocol batch, up to (not including) its Sync (PostgreSQL docs, 55.2.3). */
const EXTENDED = new Set<number>([
  FRONTEND.Parse,
  FRONTEND.Bind,
  FRONTEND.Describe,
  FRONTEND.Execute,
  FRONTEND.Close,
  FRONTEND.Flush,
]);

/** A statement held in the send queue until it is decided: `bytes` is what goes upstream once it is. */
export interface Hold {
  original: Buffer;
  standIn: Buffer;
  verdict: GuardVerdict;
  bytes?: Buffer;
  approval?: Approval;
  /** The client sent a CancelRequest while it waited. */
  cancelled?: boolean;
  /** An Execute: refused, the server skips what follows it up to Sync. */
  extended: boolean;
}

/** Where the queue's output goes. */
export interface QueueSinks {
  /** Bytes for the upstream, in the order they were sent. */
  upstream: (bytes: Buffer) => void;
  /** Stops (`true`) or resumes reading the client's socket; asked again after each batch while over the cap. */
  clientFlow: (paused: boolean) => void;
  /** What waits: after each flush while something does, and when that changes. */
  report: (state: { bytes: number; paused: boolean }) => void;
}

/** One connection's client messages on their way upstream, in order, held behind undecided statements. */
export class HoldQueue {
  /** What waits behind an undecided hold, in order; empty when nothing is held. */
  private readonly queue: Array<Buffer | Hold> = [];
  /** Bytes of the messages in `queue`. */
  private queuedBytes = 0;
  private paused = false;
  private readonly ready = new Pieces();
  /** Extended-protocol frames of the batch being read since its last Sync, not yet in `ready` (see send). */
  private readonly unit: Buffer[] = [];

  constructor(private readonly sinks: QueueSinks) {}

  /**
   * Queues a frame (or a hold) for the upstream in order. Extended-protocol frames wait in `unit` until the
   * batch is flushed or a Sync comes, so that an Execute held for approval takes the Parse and Bind sent with
   * it into the queue: nothing of the statement reaches the server before the decision (no parse-analysis
   * locks held, no constants folded at Bind while a person decides).
   */
  send(entry: Buffer | Hold): void {
    if (this.queue.length > 0) this.enqueue(entry);
    else if (!Buffer.isBuffer(entry)) {
      if (entry.extended) this.enqueue(...this.unit.splice(0));
      else this.unitReady();
      this.enqueue(entry);
    } else if (EXTENDED.has(entry[0]!)) this.unit.push(entry);
    else {
      this.unitReady();
      this.ready.add(entry);
    }
  }

  /** Writes upstream what is ready to go (after each batch of frames), then pauses or resumes the client. */
  flush(): void {
    this.unitReady();
    const bytes = this.ready.take();
    if (bytes) this.sinks.upstream(bytes);
    this.flow();
  }

  /** Holds not decided yet, in order. */
  undecided(): Hold[] {
    return this.queue.filter((entry): entry is Hold => !Buffer.isBuffer(entry) && !entry.bytes);
  }

  /**
   * Holds behind `refused` in its extended-protocol batch (up to its Sync or a Query), not decided yet: the
   * server will skip them after the refused Execute (PostgreSQL docs, 55.2.3).
   */
  skippedAfter(refused: Hold): Hold[] {
    const skipped: Hold[] = [];
    for (let i = this.queue.indexOf(refused) + 1; i < this.queue.length; i++) {
      const entry = this.queue[i]!;
      if (Buffer.isBuffer(entry)) {
        if (entry[0] === FRONTEND.Sync || entry[0] === FRONTEND.Query) break;
        continue;
      }
      if (!entry.extended) break;
      if (!entry.bytes) skipped.push(entry);
    }
    return skipped;
  }

  /** A hold was decided (its `bytes` set): sends what is no longer behind an undecided one. */
  drain(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (Buffer.isBuffer(head)) this.ready.add(head);
      else if (head.bytes) this.ready.add(head.bytes);
      else break;
      this.queue.shift();
      this.queuedBytes -= sizeOf(head);
    }
    const paused = this.paused;
    this.flush();
    // Drained: said once (flush says it when the client was paused).
    if (this.queue.length === 0 && !paused) this.report();
  }

  /** Drops everything (the connection ended); nothing more is sent. */
  clear(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.unit.length = 0;
    this.ready.take();
  }

  /**
   * Pauses the client while the queue is over {@link MAX_QUEUED_BYTES} (again after each batch: the relay's
   * outbox may have resumed it meanwhile, outbox.ts), resumes it once below; reports the queue while it is
   * not empty or when that changes.
   */
  private flow(): void {
    const over = this.queuedBytes > MAX_QUEUED_BYTES;
    const changed = over !== this.paused;
    this.paused = over;
    if (over || changed) this.sinks.clientFlow(over);
    if (this.queue.length > 0 || changed) this.report();
  }

  private report(): void {
    this.sinks.report({ bytes: this.queuedBytes, paused: this.paused });
  }

  /** Puts `entries` at the end of the queue. */
  private enqueue(...entries: Array<Buffer | Hold>): void {
    for (const entry of entries) {
      this.queue.push(entry);
      this.queuedBytes += sizeOf(entry);
    }
  }

  /** The extended-protocol frames waiting in `unit` are ready to go. */
  private unitReady(): void {
    for (const frame of this.unit) this.ready.add(frame);
    this.unit.length = 0;
  }
}

/** The bytes of a queued message: a hold counts as its statement. */
function sizeOf(entry: Buffer | Hold): number {
  return Buffer.isBuffer(entry) ? entry.length : entry.original.length;
}
