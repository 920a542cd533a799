import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { describeError } from '../common/errors.js';
import { monoMicros } from '../common/time.js';
import { redactHeaders } from '../policy/credentials.js';
import type { Store } from '../store/store.js';
import { MessageAssembler } from './assembler.js';
import { CappedCollector, recordBody } from './body.js';
import { type ApiError, type AssistantMessage, asRecord, type Usage } from './message.js';
import { estimateCost } from './pricing.js';
import { SseParser } from './sse.js';
import { replySearchText } from './text.js';

/** How an exchange ended. `interrupted` is set by start-up recovery after the engine died mid-exchange. */
export type ExchangeOutcome =
  | 'streaming'
  | 'complete'
  | 'error'
  | 'incomplete'
  | 'aborted'
  | 'upstream_unreachable'
  | 'upstream_failed'
  | 'shutdown'
  | 'interrupted';

/** Timings of one exchange in µs, measured from when the request arrived at the proxy. */
export interface ExchangeTimings {
  headers_us: number | null;
  first_token_us: number | null;
  total_us: number | null;
}

/** Static facts about an exchange, fixed once its request is recorded. */
export interface ExchangeInit {
  store: Store;
  sessionId: string;
  requestSeq: number;
  /** True for POST /v1/messages: sealed as `llm.turn`, otherwise as `http.exchange`. */
  isMessages: boolean;
  /** Model named in the request body, used for the cost estimate. */
  model: string | undefined;
  stream: boolean;
  /** Monotonic µs when the request arrived. */
  startedMono: number;
  maxBodyBytes: number;
  /** Minimum µs between checkpoints of a streaming reply that is only producing deltas. */
  checkpointIntervalUs: number;
  /** Called once when the exchange is sealed. */
  onDone: (exchange: Exchange) => void;
}

const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** Content encodings the recorder can decode; the proxy asks upstream for no others. */
export const DECODABLE_ENCODINGS: ReadonlySet<string> = new Set(Object.keys(DECODERS));

/**
 * Records one proxied exchange after its request event: the reply's headers, its body (a streamed reply
 * through the SSE assembler), timings, and the outcome, sealed into the session's chain exactly once.
 *
 * Hot path: every chunk of a streamed reply is parsed and, when it carries a block boundary, checkpointed to
 * the store *before* it is written to the client; bare deltas are checkpointed at most every
 * `checkpointIntervalUs` (and by a trailing timer), so a `kill -9` loses at most that window of deltas.
 * Compressed replies are decoded on a side stream for recording; their checkpoints may trail forwarding.
 */
export class Exchange {
  /** The upstream request, once http-proxy has created it; aborted when the client goes away. */
  upstreamRequest: ClientRequest | undefined;
  private upstreamResponse: IncomingMessage | undefined;
  private outcome: ExchangeOutcome = 'streaming';
  private status: number | null = null;
  private responseHeaders: Record<string, string> = {};
  private readonly timings: ExchangeTimings = { headers_us: null, first_token_us: null, total_us: null };
  private parser: SseParser | undefined;
  private assembler: MessageAssembler | undefined;
  private decoder: Transform | undefined;
  private collector: CappedCollector | undefined;
  private error: ApiError | undefined;
  private lastCheckpointMono = 0;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private bytesForwarded = 0;
  private sealed = false;

  constructor(private readonly init: ExchangeInit) {}

  /** True once the outcome is sealed into the chain. */
  get done(): boolean {
    return this.sealed;
  }

  /** Bytes of reply body written to the client so far. */
  get forwardedBytes(): number {
    return this.bytesForwarded;
  }

  /**
   * Takes over the upstream reply: records its head, relays status, headers and body to the client chunk by
   * chunk with backpressure, and seals the exchange when either side ends.
   */
  relay(upstream: IncomingMessage, res: ServerResponse): void {
    this.timings.headers_us = this.elapsed();
    this.status = upstream.statusCode ?? 502;
    this.responseHeaders = redactHeaders(upstream.headers);
    const contentType = String(upstream.headers['content-type'] ?? '');
    const encoding = String(upstream.headers['content-encoding'] ?? 'identity')
      .trim()
      .toLowerCase();
    if (contentType.includes('text/event-stream')) {
      this.parser = new SseParser();
      this.assembler = new MessageAssembler();
    } else {
      this.collector = new CappedCollector(this.init.maxBodyBytes);
    }
    const makeDecoder = DECODERS[encoding];
    if (makeDecoder) {
      this.decoder = makeDecoder();
      this.decoder.on('data', (plain: Buffer) => this.observe(plain));
      this.decoder.on('error', (error: Error) => {
        this.error ??= {
          type: 'glassbox_record_error',
          message: `could not decode ${encoding}: ${error.message}`,
        };
      });
    }

    res.writeHead(this.status, upstream.statusMessage, relayableHeaders(upstream.rawHeaders));
    res.flushHeaders();

    upstream.on('data', (chunk: Buffer) => {
      if (this.decoder) this.decoder.write(chunk);
      else this.observe(chunk);
      this.bytesForwarded += chunk.length;
      if (!res.write(chunk)) {
        upstream.pause();
        res.once('drain', () => upstream.resume());
      }
    });
    upstream.on('end', () => {
      this.whenDecoded(() => {
        this.seal();
        res.end();
      });
    });
    upstream.on('error', (error) => this.upstreamFailed(error, res));
    upstream.on('aborted', () =>
      this.upstreamFailed(new Error('upstream closed the connection mid-reply'), res),
    );
    this.upstreamResponse = upstream;
  }

  /**
   * The client's connection closed. If the reply had not ended, the upstream request is aborted (no one pays
   * for tokens nobody reads) and the exchange is sealed as `aborted`.
   */
  clientClosed(): void {
    if (this.sealed) return;
    this.upstreamResponse?.destroy();
    this.upstreamRequest?.destroy();
    this.seal('aborted');
  }

  /** The upstream could not be reached or failed before replying: answer 502 Anthropic-style and record it. */
  upstreamUnreachable(error: unknown, res: ServerResponse, upstreamUrl: string, errorBody: string): void {
    if (this.sealed) return;
    this.error = { type: 'upstream_unreachable', message: `${upstreamUrl}: ${describeError(error)}` };
    this.seal(this.status === null ? 'upstream_unreachable' : 'upstream_failed');
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'application/json', 'x-glassbox-error': 'upstream_unreachable' });
      res.end(errorBody);
    } else {
      res.destroy();
    }
  }

  /** Ends the exchange from the proxy's side (engine shutdown): aborts both hops and seals it. */
  abort(outcome: 'shutdown', res: ServerResponse): void {
    if (this.sealed) return;
    this.seal(outcome);
    this.upstreamRequest?.destroy();
    res.destroy();
  }

  private upstreamFailed(error: Error, res: ServerResponse): void {
    if (this.sealed) return;
    // http-proxy aborts the upstream request itself when the client goes away, so an upstream failure seen
    // while the client's socket is already gone is the client's doing.
    if (res.destroyed || !res.socket || res.socket.destroyed) return this.clientClosed();
    this.error ??= { type: 'upstream_failed', message: describeError(error) };
    this.seal('upstream_failed');
    res.destroy();
  }

  private observe(chunk: Buffer): void {
    if (this.collector) {
      this.collector.add(chunk);
      return;
    }
    let boundary = false;
    for (const event of this.parser!.push(chunk)) {
      const step = this.assembler!.apply(event);
      if (step.output && this.timings.first_token_us === null) this.timings.first_token_us = this.elapsed();
      boundary ||= step.boundary;
    }
    if (boundary || monoMicros() - this.lastCheckpointMono >= this.init.checkpointIntervalUs)
      this.checkpoint();
    else
      this.checkpointTimer ??= setTimeout(
        () => this.checkpoint(),
        this.init.checkpointIntervalUs / 1000,
      ).unref();
  }

  private checkpoint(): void {
    clearTimeout(this.checkpointTimer);
    this.checkpointTimer = undefined;
    if (this.sealed) return;
    this.lastCheckpointMono = monoMicros();
    this.init.store.updateInflight(this.init.sessionId, this.init.requestSeq, this.payload('streaming'));
  }

  private whenDecoded(then: () => void): void {
    if (!this.decoder) {
      then();
      return;
    }
    this.decoder.once('end', then);
    this.decoder.once('error', then);
    this.decoder.end();
  }

  private seal(forced?: ExchangeOutcome): void {
    if (this.sealed) return;
    this.sealed = true;
    clearTimeout(this.checkpointTimer);
    this.timings.total_us = this.elapsed();
    const outcome = forced ?? this.naturalOutcome();
    const payload = this.payload(outcome);
    const { store, sessionId, requestSeq, isMessages } = this.init;
    const usage = (payload.usage ?? undefined) as Usage | undefined;
    const failed = outcome !== 'complete';
    store.sealInflight(sessionId, requestSeq, isMessages ? 'llm.turn' : 'http.exchange', payload, {
      text: isMessages ? replySearchText((payload.response as AssistantMessage | null)?.content) : undefined,
      stats: isMessages
        ? {
            turns: 1,
            input_tokens: usage?.input_tokens ?? 0,
            output_tokens: usage?.output_tokens ?? 0,
            cache_creation_tokens: usage?.cache_creation_input_tokens ?? 0,
            cache_read_tokens: usage?.cache_read_input_tokens ?? 0,
            cost_usd: (payload.cost_usd as number | null) ?? 0,
            errors: failed ? 1 : 0,
          }
        : { errors: failed ? 1 : 0 },
    });
    this.outcome = outcome;
    this.init.onDone(this);
  }

  private naturalOutcome(): ExchangeOutcome {
    if (this.outcome !== 'streaming') return this.outcome;
    if (this.error || (this.status !== null && this.status >= 400)) return 'error';
    if (this.assembler?.snapshot().error) return 'error';
    // A stream that ended without message_stop (and without an error event) was cut short upstream.
    if (this.assembler && !this.assembler.snapshot().complete) return 'incomplete';
    return 'complete';
  }

  /** The outcome event's payload (also the in-flight checkpoint, with outcome `streaming`). */
  private payload(outcome: ExchangeOutcome): Record<string, unknown> {
    const base: Record<string, unknown> = {
      request_seq: this.init.requestSeq,
      outcome,
      status: this.status,
      timings: { ...this.timings },
      response_headers: this.responseHeaders,
      response_bytes: this.bytesForwarded,
    };
    if (this.assembler) {
      const assembled = outcome === 'streaming' ? this.assembler.snapshot() : this.assembler.finish();
      const usage = assembled.message.usage ?? null;
      return {
        ...base,
        stream: true,
        model: assembled.message.model ?? this.init.model ?? null,
        response: assembled.message,
        stop_reason: assembled.message.stop_reason ?? null,
        usage,
        cost_usd: estimateCost(assembled.message.model ?? this.init.model, usage ?? undefined),
        error: assembled.error ?? this.error ?? null,
        sse_events: assembled.event_counts,
        ...(assembled.anomalies.length ? { anomalies: assembled.anomalies } : {}),
      };
    }
    if (!this.collector) return { ...base, stream: this.init.stream, error: this.error ?? null };
    const recorded = recordBody(
      this.collector.bytes(),
      this.decoder ? this.collector.total : this.bytesForwarded,
      this.responseHeaders['content-type'],
      this.init.maxBodyBytes,
    );
    if (!this.init.isMessages) return { ...base, ...recorded, error: this.error ?? null };
    const json = asRecord(recorded.body);
    const isMessage = json?.type === 'message';
    const apiError = asRecord(json?.error);
    const usage = isMessage ? ((json.usage as Usage | undefined) ?? null) : null;
    return {
      ...base,
      stream: false,
      model: (isMessage ? (json.model as string) : undefined) ?? this.init.model ?? null,
      response: isMessage ? json : null,
      stop_reason: isMessage ? (json.stop_reason ?? null) : null,
      usage,
      cost_usd: isMessage
        ? estimateCost((json.model as string) ?? this.init.model, usage ?? undefined)
        : null,
      error: apiError
        ? { type: String(apiError.type ?? 'unknown_error'), message: String(apiError.message ?? '') }
        : (this.error ?? null),
      ...(isMessage ? {} : recorded),
    };
  }

  private elapsed(): number {
    return monoMicros() - this.init.startedMono;
  }
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) that a proxy must not relay. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authenticate',
]);

/** Upstream response headers as a raw [name, value, …] list minus hop-by-hop ones, keeping case and order. */
function relayableHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}
