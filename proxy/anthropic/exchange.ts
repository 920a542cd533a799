import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Transform } from 'node:stream';
import { describeError } from '../common/errors.js';
import { monoMicros } from '../common/time.js';
import { redactHeaders } from '../policy/credentials.js';
import type { GroupCommit } from '../store/group-commit.js';
import type { Store } from '../store/store.js';
import { MessageAssembler, mayCompleteBoundary } from './assembler.js';
import { CheckpointDeltas } from './checkpoint.js';
import {
  CappedCollector,
  type ExchangeOutcome,
  initialOutcomeState,
  naturalOutcome,
  type OutcomeState,
  outcomePayload,
  sealWrite,
} from './outcome.js';
import type { PriceOverrides } from './pricing.js';
import { refuseUnrecorded } from './recording-failed.js';
import type { ReplyMasking } from './reply-masking.js';
import { ReplyOutbox } from './reply-outbox.js';
import { type RequestFacts, RequestFactsOnce } from './request-body.js';
import { SseParser } from './sse.js';
import type { ToolUseGuard } from './tool-use-guard.js';
import { UpstreamTimeout } from './upstream.js';
import { decoderFor, relayableHeaders } from './wire.js';

export type { ExchangeOutcome } from './outcome.js';

/** Static facts about an exchange, fixed once its request is recorded. */
export interface ExchangeInit {
  store: Store;
  commit: GroupCommit;
  sessionId: string;
  requestSeq: number;
  /** True for POST /v1/messages: sealed as `llm.turn`, otherwise as `http.exchange`. */
  isMessages: boolean;
  /** What the request body says (model, stream flag), or how to read it when it was recorded unread. */
  request: RequestFacts | (() => RequestFacts);
  /** Monotonic µs when the request arrived. */
  startedMono: number;
  maxBodyBytes: number;
  /** Minimum µs between checkpoints of a streaming reply that is only producing deltas. */
  checkpointIntervalUs: number;
  /** Prices for models newer than the built-in table. */
  prices: PriceOverrides;
  /** How the reply is masked before storage (checkpoints and seal); undefined when nothing is masked. */
  masking?: ReplyMasking;
  /** The guard a reply's tool_use blocks are checked against (recorded, not enforced); undefined: off. */
  toolGuard?: ToolUseGuard;
  /** Called once when the exchange is sealed. */
  onDone: (exchange: Exchange) => void;
}

/**
 * Records one proxied exchange after its request event and relays the reply: head, body, outcome.
 *
 * Recorded before forwarded. Reply bytes wait in an outbox ({@link ReplyOutbox}) until the record that
 * covers them is committed:
 *  - the response head is checkpointed before it is relayed;
 *  - a streamed reply (text/event-stream) is parsed as it arrives; a chunk completing a content block's start
 *    or stop (or an error event) is held until a checkpoint including it commits; bare deltas are
 *    checkpointed at least every `checkpointIntervalUs`, so a `kill -9` loses at most that window of them;
 *  - any other reply is held until its outcome is sealed (up to the storage cap; beyond it, it streams on).
 * A checkpoint writes what is new since the last one ({@link CheckpointDeltas}); the seal writes the whole
 * outcome once. Content past the storage cap (`maxBodyBytes`) is relayed but not recorded (the outcome says
 * `response_truncated`). Checkpoints and seals go through {@link GroupCommit}, so concurrent exchanges share
 * commits.
 * Compressed replies are decoded on a side stream for recording; their checkpoints may trail forwarding.
 */
export class Exchange {
  /** The upstream request, once http-proxy has created it; aborted when the client goes away. */
  upstreamRequest: ClientRequest | undefined;
  private upstreamResponse: IncomingMessage | undefined;
  /** The reply on its way to the client, once the upstream's head has come. */
  private reply: ReplyOutbox | undefined;
  private readonly state: OutcomeState;
  /** What each checkpoint writes: the changes since the last one. */
  private readonly checkpoints = new CheckpointDeltas();
  private parser: SseParser | undefined;
  private decoder: Transform | undefined;
  private checkpointQueued = false;
  /** Holds on the outbox released when the queued checkpoint commits. */
  private attachedHolds = 0;
  private lastCheckpointMono = 0;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private sealed = false;
  /** The store refused a write of this exchange: it is being sealed as `recording_failed`. */
  private failed = false;
  private readonly request: RequestFactsOnce;

  constructor(private readonly init: ExchangeInit) {
    this.request = new RequestFactsOnce(init.request);
    this.state = initialOutcomeState(init, this.request.known);
  }

  /** True once the upstream's response head has come. */
  get responded(): boolean {
    return this.state.status !== null;
  }

  /** True when the request asked for a streamed reply; undefined while its body is unread. */
  get streaming(): boolean | undefined {
    return this.request.known?.stream;
  }

  /** Reads a body recorded unread (once): after the first token, or at the seal if that comes first. */
  private readRequest(): void {
    ({ model: this.state.model, stream: this.state.stream } = this.request.read());
  }

  /**
   * Takes over the upstream reply: records its head, then relays status, headers and body to the client
   * with backpressure, and seals the exchange when the reply ends.
   */
  relay(upstream: IncomingMessage, res: ServerResponse): void {
    this.upstreamResponse = upstream;
    const state = this.state;
    state.timings.headers_us = this.elapsed();
    state.status = upstream.statusCode ?? 502;
    state.responseHeaders = redactHeaders(upstream.headers);
    const contentType = String(upstream.headers['content-type'] ?? '');
    const encoding = String(upstream.headers['content-encoding'] ?? 'identity')
      .trim()
      .toLowerCase();
    if (contentType.includes('text/event-stream')) {
      this.parser = new SseParser();
      state.assembler = new MessageAssembler({ capBytes: this.init.maxBodyBytes, trackChanges: true });
    } else {
      state.collector = new CappedCollector(this.init.maxBodyBytes);
    }
    this.decoder = decoderFor(encoding)?.();
    state.decoded = this.decoder !== undefined;
    this.decoder?.on('data', (plain: Buffer) => this.observe(plain));
    this.decoder?.on('error', (error: Error) => {
      const message = `could not decode ${encoding}: ${error.message}`;
      state.error ??= { type: 'glassbox_record_error', message };
    });

    // The head waits for a checkpoint; body bytes arriving before it commits join the same checkpoint, so
    // the head and the first chunk are recorded in one write and leave together, as one write to the client.
    const { collector } = state;
    const reply = new ReplyOutbox({
      res,
      upstream,
      head: {
        status: state.status,
        statusMessage: upstream.statusMessage,
        headers: relayableHeaders(upstream.rawHeaders),
      },
      whole: collector && { collector, capBytes: this.init.maxBodyBytes, sealed: () => this.sealed },
    });
    this.reply = reply;
    reply.hold();
    this.queueCheckpoint(true);

    upstream.on('data', (chunk: Buffer) => {
      state.bytesForwarded += chunk.length;
      reply.push(chunk);
      if (this.decoder) {
        this.decoder.write(chunk); // recorded from the decoded side stream: its checkpoints may trail
        reply.drain();
      } else if (this.canRelayBeforeObserving(reply, chunk)) {
        // Bare deltas need no checkpoint first: relay them, then feed the recorder (first token sooner).
        const seenUs = this.elapsed();
        reply.drain();
        this.observe(chunk, seenUs);
      } else {
        this.observe(chunk);
        reply.drain();
      }
      if (state.timings.first_token_us !== null) reply.sendFirstToken();
    });
    upstream.on('end', () => {
      reply.upstreamEnded = true;
      this.whenDecoded(() => this.finish(reply));
    });
    upstream.on('error', (error) => this.upstreamFailed(error));
    upstream.on('aborted', () => this.upstreamFailed(new Error('upstream closed the connection mid-reply')));
  }

  /**
   * The client's connection closed. If the reply had not ended, the upstream request is aborted (no one pays
   * for tokens nobody reads) and the exchange is sealed as `aborted`.
   */
  clientClosed(): void {
    if (this.sealed) return;
    this.upstreamResponse?.destroy();
    this.upstreamRequest?.destroy();
    this.sealNow('aborted');
  }

  /**
   * The upstream could not be reached or failed before replying: answer with `answer` (an Anthropic-shaped
   * 502, or 504 after a timeout) and record it.
   */
  upstreamUnreachable(
    error: unknown,
    res: ServerResponse,
    upstreamUrl: string,
    answer: { status: number; body: string },
  ): void {
    if (this.sealed) return;
    // After the response head, the reply was cut: ended as one (http-proxy reports it here first).
    if (this.state.status !== null) {
      this.upstreamFailed(error as Error);
      return;
    }
    const type = error instanceof UpstreamTimeout ? 'upstream_timeout' : 'upstream_unreachable';
    this.state.error = { type, message: `${upstreamUrl}: ${describeError(error)}` };
    if (res.headersSent) {
      this.sealNow('upstream_failed');
      res.destroy();
      return;
    }
    this.sealNow('upstream_unreachable');
    res.writeHead(answer.status, { 'content-type': 'application/json', 'x-glassbox-error': type });
    res.end(answer.body);
  }

  /** Ends the exchange from the proxy's side (engine shutdown): aborts both hops and seals it. */
  abort(outcome: 'shutdown', res: ServerResponse): void {
    if (this.sealed) return;
    this.sealNow(outcome);
    this.upstreamRequest?.destroy();
    res.destroy();
  }

  private upstreamFailed(error: Error): void {
    if (this.sealed) return;
    const reply = this.reply;
    const res = reply?.res;
    // http-proxy aborts the upstream request itself when the client goes away, so an upstream failure seen
    // while the client's socket is already gone is the client's doing.
    if (!reply || !res || res.destroyed || !res.socket || res.socket.destroyed) {
      this.clientClosed();
      return;
    }
    this.state.error ??= { type: 'upstream_failed', message: describeError(error) };
    if (!this.sealNow('upstream_failed')) return void res.destroy();
    // What was observed is sealed: the client gets it, then an error it can read as one (./stream-cut.ts).
    reply.endCut(
      this.decoder ? undefined : this.parser,
      `the upstream Anthropic API ended the reply before it was complete (${describeError(error)})`,
    );
  }

  /**
   * True when `chunk` can go to the client before the recorder sees it: nothing held, no checkpoint due, no
   * boundary possible. An event in progress over 4 KiB is not searched (a long line would be rescanned).
   */
  private canRelayBeforeObserving(reply: ReplyOutbox, chunk: Buffer): boolean {
    if (!this.parser || !reply.open) return false;
    if (this.parser.pendingChars > 4096) return false;
    if (monoMicros() - this.lastCheckpointMono >= this.init.checkpointIntervalUs) return false;
    return !mayCompleteBoundary(this.parser.pending(), chunk);
  }

  /**
   * Feeds decoded reply bytes to the recorder and decides whether a checkpoint must cover them first.
   * `seenUs`: when the bytes arrived (µs since the request), if they were relayed before this.
   */
  private observe(chunk: Buffer, seenUs?: number): void {
    const { assembler, collector } = this.state;
    if (collector) {
      collector.add(chunk);
      return;
    }
    let boundary = false;
    for (const event of this.parser!.push(chunk)) {
      const step = assembler!.apply(event);
      if (step.output && this.state.timings.first_token_us === null) {
        this.state.timings.first_token_us = seenUs ?? this.elapsed();
        // A body recorded unread is read once the first token is out, off the path to it.
        if (!this.request.known) setImmediate(() => this.readRequest());
      }
      boundary ||= step.boundary;
    }
    if (boundary || monoMicros() - this.lastCheckpointMono >= this.init.checkpointIntervalUs) {
      // Hold what is in the outbox (this chunk included) until the checkpoint commits.
      if (!this.decoder) this.reply?.hold();
      this.queueCheckpoint(!this.decoder);
    } else {
      this.checkpointTimer ??= setTimeout(() => {
        this.checkpointTimer = undefined;
        this.queueCheckpoint(false);
      }, this.init.checkpointIntervalUs / 1000).unref();
    }
  }

  /**
   * Queues a checkpoint unless one is already queued (it snapshots at commit time, so it covers everything
   * observed until then). `holding`: the caller took a hold on the outbox that this checkpoint releases.
   */
  private queueCheckpoint(holding: boolean): void {
    if (this.sealed) return;
    if (holding) this.attachedHolds++;
    if (this.checkpointQueued) return;
    this.checkpointQueued = true;
    this.init.commit.enqueue(
      () => this.writeCheckpoint(),
      (error) => {
        if (error) return this.recordingFailed(error);
        this.checkpoints.confirm();
        this.reply?.sendHead();
        const holds = this.attachedHolds;
        this.attachedHolds = 0;
        for (let i = 0; i < holds; i++) this.reply?.release();
      },
    );
  }

  private writeCheckpoint(): void {
    this.checkpointQueued = false;
    if (this.sealed) return;
    clearTimeout(this.checkpointTimer);
    this.checkpointTimer = undefined;
    this.lastCheckpointMono = monoMicros();
    const deltas = this.checkpoints.next(this.state);
    this.init.store.appendInflightParts(this.init.sessionId, this.init.requestSeq, deltas);
  }

  /** The reply ended upstream: seal the outcome, then forward whatever was held and end the response. */
  private finish(reply: ReplyOutbox): void {
    if (this.sealed) return;
    const write = this.decideOutcome(naturalOutcome(this.state));
    reply.hold();
    this.init.commit.enqueue(write, (error) => {
      if (error) return this.recordingFailed(error, true);
      reply.end();
    });
  }

  /**
   * The store refused a write of this exchange (a checkpoint, or its seal): nothing more goes to the client
   * (before the head it is told why) and the exchange is sealed as `recording_failed`, kept and retried until
   * the store takes it. The outcome is fixed before anything is torn down: destroying the upstream response
   * emits `aborted` at once, which must not record the upstream as having failed. `sealRefused`: the write
   * that failed was the seal itself, which is then decided again as this outcome (a refused write leaves
   * nothing durable). A seal already written, or already kept for retry, is left as it is.
   */
  private recordingFailed(error: Error, sealRefused = false): void {
    if (this.failed) return;
    this.failed = true;
    this.state.error = { type: 'recording_failed', message: describeError(error) };
    const seal = !this.sealed
      ? this.decideOutcome('recording_failed')
      : sealRefused
        ? this.redecideOutcome('recording_failed')
        : undefined;
    this.upstreamResponse?.destroy();
    this.upstreamRequest?.destroy();
    if (this.reply) refuseUnrecorded(this.reply.res, 'reply', error);
    if (seal) this.init.commit.enqueueLazy(seal);
  }

  private whenDecoded(then: () => void): void {
    // A decoder that already failed emits nothing more: go on with what was decoded.
    if (!this.decoder || this.decoder.destroyed || this.decoder.errored) {
      then();
      return;
    }
    this.decoder.once('end', then);
    this.decoder.once('error', then);
    this.decoder.end();
  }

  /**
   * Seals now (abort paths). The write is tried at once; when the store refuses it (a full disk) it is kept as
   * a lazy write and retried (should the engine stop first, the next start seals the in-flight record). Never
   * throws.
   * @returns whether the seal is durable now: only then may bytes it covers still go to the client
   */
  private sealNow(outcome: ExchangeOutcome): boolean {
    if (this.sealed) return false;
    const write = this.decideOutcome(outcome);
    try {
      write();
      return true;
    } catch {
      this.init.commit.enqueueLazy(write);
      return false;
    }
  }

  /**
   * Fixes the outcome once (timings, payload) and returns the store write that seals it. The write does not
   * depend on any flag, so group commit can run it again after a rolled-back batch.
   */
  private decideOutcome(outcome: ExchangeOutcome): () => void {
    this.sealed = true;
    clearTimeout(this.checkpointTimer);
    this.state.timings.total_us = this.elapsed();
    this.readRequest();
    const payload = outcomePayload(this.state, outcome);
    this.init.onDone(this);
    return sealWrite(this.init, payload, this.request.lateSearchText, this.request.known?.cwd);
  }

  /** The seal write for `outcome` of an exchange already decided once (its timings stay as they were). */
  private redecideOutcome(outcome: ExchangeOutcome): () => void {
    const payload = outcomePayload(this.state, outcome);
    return sealWrite(this.init, payload, this.request.lateSearchText, this.request.known?.cwd);
  }

  private elapsed(): number {
    return monoMicros() - this.init.startedMono;
  }
}
