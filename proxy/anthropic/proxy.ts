import { once } from 'node:events';
import {
  createServer,
  Agent as HttpAgent,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import httpProxy from 'http-proxy';
import { describeError } from '../common/errors.js';
import { monoMicros } from '../common/time.js';
import type { IdentitySource } from '../identity/types.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { CredentialFingerprints, redactHeaders, redactQuery } from '../policy/credentials.js';
import type { Guard } from '../policy/guard/types.js';
import type { PauseCheck } from '../policy/recording-switch.js';
import { GroupCommit } from '../store/group-commit.js';
import type { Store } from '../store/store.js';
import { type AnthropicErrorType, glassboxErrorBody } from './errors.js';
import { Exchange } from './exchange.js';
import { type Refusal, refuseForeignRequest } from './guards.js';
import { refuseWithoutSignIn } from './identity-gate.js';
import { PolicyMaskings } from './mask-memo.js';
import type { PriceOverrides } from './pricing.js';
import { type BodyLimits, PendingBytes, receiveBody } from './receive.js';
import { refuseUnrecorded } from './recording-failed.js';
import { ReplyMasking } from './reply-masking.js';
import { prepareBody, requestPayload } from './request-body.js';
import { addCounts, recordedHead } from './request-head.js';
import { AnthropicSessionResolver } from './sessions.js';
import { toolGuardOf } from './tool-use-guard.js';
import {
  bodySource,
  boundUpstreamRequest,
  proxyTarget,
  UpstreamTimeout,
  type UpstreamTimeouts,
  upstreamBody,
  upstreamHeaders,
} from './upstream.js';
import { UpstreamHealth } from './upstream-health.js';

/**
 * What a recorded request adds to its session's stats: every request counts in `requests`; a Messages request
 * is also a turn, counted when it is recorded (so a turn still streaming, or cut short, counts as the turn
 * the conversation shows).
 */
const REQUEST_STATS = { requests: 1 } as const;
const TURN_STATS = { requests: 1, turns: 1 } as const;

/** Settings of the Anthropic reverse proxy. */
export interface AnthropicProxyOptions {
  store: Store;
  /** Where requests go, e.g. https://api.anthropic.com (a path prefix is kept). */
  upstream: URL;
  /** Listening address; the proxy is meant for loopback only. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Largest body stored per request or reply, in bytes; bigger ones are forwarded whole, stored truncated. */
  maxBodyBytes: number;
  /** Largest request body accepted at all, in bytes (the Anthropic API's own limit is 32 MB). */
  maxRequestBytes: number;
  /** Longest a request body may take to arrive in full, ms (default 60 s). */
  requestBodyTimeoutMs?: number;
  /** Bytes of request bodies still arriving, summed over all requests, beyond which more are refused. */
  maxPendingRequestBytes?: number;
  /** Origins (as `URL.origin` spells them) whose web pages may use the proxy; see ./guards.ts. */
  allowedOrigins?: readonly string[];
  /** Bounds on reaching the upstream, ms (default 10 s to connect, 10 min to the response head). */
  upstreamTimeouts?: Partial<UpstreamTimeouts>;
  /** Minimum interval between durable checkpoints of a streaming reply's deltas, in ms. */
  checkpointIntervalMs: number;
  /** Prices for models newer than the built-in table (US dollars per million tokens). */
  prices: PriceOverrides;
  /**
   * The engine's live sign-in: `current()` is taken when a session is created; while `refusal()` is non-null
   * (identity required, nobody signed in) every request is answered 401 and recorded, never forwarded.
   */
  identity: Pick<IdentitySource, 'current' | 'refusal'>;
  /** Idle gap for grouping requests without a session header, in µs. */
  idleGapUs?: number;
  /** The engine's recording switch: while `paused`, requests are forwarded without being recorded. */
  pause?: PauseCheck;
  /**
   * The policy in force (the engine's `policy.current()`), taken once per request: what is masked before
   * storage, and before a request leaves (outbound).
   */
  policy: () => CompiledPolicy;
  /** The guard in force, taken once per Messages request, and `home` for `~`: see tool-use-guard.ts. */
  guard?: () => Guard | undefined;
  home?: string;
}

/**
 * A recording reverse proxy for the Anthropic API (point `ANTHROPIC_BASE_URL` at it).
 *
 * Every method and path is forwarded with its query, headers (x-api-key, authorization, anthropic-version,
 * anthropic-beta, …), status and body. Each request is appended to the store before it is sent upstream;
 * replies stream through chunk by chunk while being recorded (see {@link Exchange}). Failures — upstream
 * errors or unreachable, malformed bodies, client disconnects, garbage bytes — are recorded and answered
 * with Anthropic-shaped errors; none of them stops the proxy.
 */
export class AnthropicProxy {
  private readonly server: Server;
  private readonly proxy: httpProxy;
  private readonly sessions: AnthropicSessionResolver;
  private readonly active = new Map<Exchange, ServerResponse>();
  private readonly exchanges = new WeakMap<IncomingMessage, Exchange>();
  private readonly agent: HttpAgent;
  private readonly commit: GroupCommit;
  private readonly fingerprints = new CredentialFingerprints();
  /** The masking of the policy in force, with what it remembers of strings masked before. */
  private readonly maskings = new PolicyMaskings();
  /** Where requests go, as recorded with each: scheme, host and base path without a trailing slash. */
  private readonly upstreamBase: string;
  private readonly allowedOrigins: ReadonlySet<string>;
  private readonly bodyLimits: BodyLimits;
  private readonly timeouts: UpstreamTimeouts;
  /** Whether the upstream answers, as this proxy's requests find it. */
  readonly health: UpstreamHealth;

  constructor(private readonly options: AnthropicProxyOptions) {
    this.upstreamBase = `${options.upstream.origin}${options.upstream.pathname.replace(/\/+$/, '')}`;
    this.allowedOrigins = new Set((options.allowedOrigins ?? []).map((origin) => origin.toLowerCase()));
    this.bodyLimits = {
      maxRequestBytes: options.maxRequestBytes,
      timeoutMs: options.requestBodyTimeoutMs ?? 60_000,
      pending: new PendingBytes(options.maxPendingRequestBytes ?? 256 * 1024 * 1024),
    };
    this.timeouts = {
      connectMs: options.upstreamTimeouts?.connectMs ?? 10_000,
      headersMs: options.upstreamTimeouts?.headersMs ?? 600_000,
    };
    this.health = new UpstreamHealth(options.upstream.toString());
    // Exchanges still streaming could share a commit; with one or none, a write commits at once.
    this.commit = new GroupCommit(options.store, { alone: () => this.active.size <= 1 });
    this.sessions = new AnthropicSessionResolver(
      options.store,
      options.upstream.host,
      () => options.identity.current(),
      this.fingerprints,
      options.idleGapUs,
    );
    const secure = options.upstream.protocol === 'https:';
    this.agent = secure
      ? new HttpsAgent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY })
      : new HttpAgent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
    this.proxy = httpProxy.createProxyServer({
      target: proxyTarget(options.upstream),
      changeOrigin: true,
      selfHandleResponse: true,
      secure: true,
      xfwd: false,
      agent: this.agent,
    });
    this.proxy.on('proxyReq', (proxyReq, req) => {
      boundUpstreamRequest(proxyReq, this.timeouts);
      const exchange = this.exchanges.get(req);
      if (exchange) exchange.upstreamRequest = proxyReq;
    });
    this.proxy.on('proxyRes', (proxyRes, req, res) => {
      this.health.reached();
      const exchange = this.exchanges.get(req);
      if (exchange) return exchange.relay(proxyRes, res as ServerResponse);
      // Forwarded while recording was paused: relayed as is.
      res.writeHead(proxyRes.statusCode ?? 502, proxyRes.headers);
      proxyRes.pipe(res);
    });
    this.proxy.on('econnreset', (_error, req) => this.exchanges.get(req)?.clientClosed());
    // The body's own timeout (receive.ts) answers Anthropic-style; Node's generic one is not needed on top.
    this.server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) =>
      this.handle(req, res),
    );
    this.server.on('clientError', (error, socket) => this.clientError(error, socket as Socket));
  }

  /** The proxy's base URL once listening, e.g. http://127.0.0.1:8787. */
  get url(): string {
    const address = this.server.address() as AddressInfo | null;
    if (!address) throw new Error('the Anthropic proxy is not listening');
    return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  /**
   * Starts listening.
   * @throws Error (EADDRINUSE, EACCES) when the port cannot be bound.
   */
  async start(): Promise<void> {
    this.server.listen(this.options.port, this.options.host);
    await once(this.server, 'listening');
  }

  /** Number of exchanges still streaming. */
  get inFlight(): number {
    return this.active.size;
  }

  /** Closes idle sessions; called periodically by the engine. */
  closeIdleSessions(): number {
    return this.sessions.closeIdle();
  }

  /**
   * Stops accepting connections, lets in-flight exchanges finish for up to `graceMs`, then aborts the rest
   * (recorded with outcome `shutdown`).
   */
  async stop(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    while (this.active.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const [exchange, res] of this.active) exchange.abort('shutdown', res);
    this.commit.flush();
    this.server.closeAllConnections();
    await closed;
    this.proxy.close();
    this.agent.destroy();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const startedMono = monoMicros();
    req.on('error', () => res.destroy());
    const refusal = refuseForeignRequest(req, this.allowedOrigins);
    if (refusal) {
      // Neither recorded nor forwarded (see ./guards.ts); whatever body follows is dropped.
      req.resume();
      this.refuse(res, refusal);
      return;
    }
    const unsigned = this.options.identity.refusal();
    if (unsigned) {
      const { store, upstream, identity } = this.options;
      const context = { store, target: upstream.host, identity: () => identity.current() };
      refuseWithoutSignIn(req, res, unsigned, { ...context, fingerprints: this.fingerprints });
      return;
    }
    receiveBody(
      req,
      this.bodyLimits,
      (body) => {
        try {
          this.forward(req, res, body, startedMono);
        } catch (error) {
          // Whatever a client sends, the engine answers and goes on.
          this.refuse(res, {
            status: 400,
            type: 'invalid_request_error',
            message: `could not handle the request: ${describeError(error)}`,
          });
        }
      },
      (why) => this.refuse(res, why),
    );
  }

  /** Records the request (group-committed), then forwards it; refuses it when it could not be recorded. */
  private forward(req: IncomingMessage, res: ServerResponse, bytes: Buffer, startedMono: number): void {
    const { store, maxBodyBytes, maxRequestBytes } = this.options;
    const masking = this.maskings.of(this.options.policy());
    const path = req.url ?? '/';
    // The path is never parsed as a URL: an absolute-form target with a bad port would throw.
    const isMessages = req.method === 'POST' && (path.split('?')[0] ?? '').endsWith('/v1/messages');
    const prepare = () =>
      prepareBody(
        bytes,
        req.headers['content-type'],
        maxBodyBytes,
        isMessages,
        req.headers['content-encoding'],
        {
          masking,
          maxDecodedBytes: maxRequestBytes,
        },
      );
    if (this.options.pause?.paused) {
      // Nothing is recorded; what outbound masking replaces is replaced all the same.
      const body = masking.outbound ? prepare() : undefined;
      if (body?.refusal) this.refuse(res, body.refusal);
      else this.forwardUnrecorded(req, res, upstreamBody(req, bytes, body?.forward));
      return;
    }
    const body = prepare();
    if (body.refusal) {
      this.refuse(res, body.refusal);
      return;
    }
    let exchange: Exchange | undefined;
    this.commit.enqueue(
      () => {
        const sessionId = this.sessions.resolve(req.headers, req.socket.remoteAddress);
        const head = recordedHead(redactQuery(path), redactHeaders(req.headers, this.fingerprints), masking);
        const { seq } = store.appendRequest(
          sessionId,
          'http.request',
          requestPayload(
            req.method,
            head.path,
            head.headers,
            body,
            this.upstreamBase,
            addCounts(body.masked, head.counts),
          ),
          isMessages ? 'llm.turn' : 'http.exchange',
          (requestSeq) => ({ request_seq: requestSeq, outcome: 'streaming' }),
          { text: body.searchText, stats: isMessages ? TURN_STATS : REQUEST_STATS },
        );
        exchange = new Exchange({
          store,
          commit: this.commit,
          sessionId,
          requestSeq: seq,
          isMessages,
          request: body.request,
          startedMono,
          maxBodyBytes,
          checkpointIntervalUs: this.options.checkpointIntervalMs * 1000,
          prices: this.options.prices,
          ...(masking.active ? { masking: new ReplyMasking(masking) } : {}),
          ...(isMessages ? toolGuardOf(this.options, this.sessions.identityOf(sessionId)) : {}),
          onDone: (done) => this.active.delete(done),
        });
      },
      (error) => {
        // Recording failed (a full disk…): refuse at once rather than forward unrecorded.
        if (error || !exchange) return refuseUnrecorded(res, 'request', error ?? new Error('unknown error'));
        this.sendUpstream(req, res, upstreamBody(req, bytes, body.forward), exchange);
      },
    );
  }

  private sendUpstream(req: IncomingMessage, res: ServerResponse, body: Buffer, exchange: Exchange): void {
    if (res.destroyed || req.socket.destroyed) {
      exchange.clientClosed();
      return;
    }
    this.exchanges.set(req, exchange);
    this.active.set(exchange, res);
    res.on('close', () => exchange.clientClosed());
    this.proxy.web(
      req,
      res,
      { buffer: bodySource(body), headers: upstreamHeaders(req, exchange.streaming !== false) },
      (error: Error) => {
        const answer = this.unreachable(req, error, !exchange.responded);
        exchange.upstreamUnreachable(error, res, this.options.upstream.toString(), {
          status: answer.status,
          body: glassboxErrorBody(answer.type, answer.message),
        });
      },
    );
  }

  /** Recording is paused: the request goes upstream (as outbound masking left it) and nothing is stored. */
  private forwardUnrecorded(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    this.proxy.web(req, res, { buffer: bodySource(body) }, (error: Error) =>
      this.refuse(res, this.unreachable(req, error)),
    );
  }

  /**
   * The upstream could not be reached for `req`: notes it in {@link health} (unless the client's leaving
   * caused it, or a response head had come) and returns the answer for the client: 504 `timeout_error` after
   * a timeout, else 502 `api_error`.
   */
  private unreachable(req: IncomingMessage, error: Error, beforeResponse = true): Refusal {
    if (beforeResponse && !req.socket.destroyed) this.health.failed(error);
    const upstreamUrl = this.options.upstream.toString();
    const timeout = error instanceof UpstreamTimeout;
    const type: AnthropicErrorType = timeout ? 'timeout_error' : 'api_error';
    return {
      status: timeout ? 504 : 502,
      type,
      message: `could not reach the upstream Anthropic API at ${upstreamUrl} (${describeError(error)})`,
    };
  }

  /** Answers with an Anthropic-shaped error and closes the connection (the request may not have been read). */
  private refuse(res: ServerResponse, refusal: Refusal): void {
    if (res.headersSent) return void res.destroy();
    const body = glassboxErrorBody(refusal.type, refusal.message);
    res.writeHead(refusal.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    });
    res.end(body);
  }

  /** Bytes that are not HTTP (or broken HTTP) on the proxy port: record the fact, answer 400, close. */
  private clientError(error: Error & { code?: string; rawPacket?: Buffer }, socket: Socket): void {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    try {
      const sessionId = this.sessions.resolve({}, socket.remoteAddress);
      // The raw bytes are not stored: a broken request may still carry a credential.
      this.options.store.append(
        sessionId,
        'http.client_error',
        { code: error.code ?? null, message: error.message, bytes: error.rawPacket?.length ?? null },
        { stats: { errors: 1 } },
      );
    } catch {
      // Recording a protocol error must never take the proxy down.
    }
    const body = glassboxErrorBody(
      'invalid_request_error',
      `malformed HTTP request (${error.code ?? error.message})`,
    );
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
}
