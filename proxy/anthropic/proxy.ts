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
import { CredentialFingerprints, redactHeaders } from '../policy/credentials.js';
import type { PauseCheck } from '../policy/recording-switch.js';
import { GroupCommit } from '../store/group-commit.js';
import type { Store } from '../store/store.js';
import type { Identity } from '../store/types.js';
import { glassboxErrorBody } from './errors.js';
import { Exchange } from './exchange.js';
import type { PriceOverrides } from './pricing.js';
import { prepareBody, requestPayload } from './request-body.js';
import { AnthropicSessionResolver } from './sessions.js';
import { bodySource, proxyTarget, upstreamHeaders } from './upstream.js';

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
  /** Minimum interval between durable checkpoints of a streaming reply's deltas, in ms. */
  checkpointIntervalMs: number;
  /** Prices for models newer than the built-in table (US dollars per million tokens). */
  prices: PriceOverrides;
  identity: Identity;
  /** Idle gap for grouping requests without a session header, in µs. */
  idleGapUs?: number;
  /** The engine's recording switch: while `paused`, requests are forwarded without being recorded. */
  pause?: PauseCheck;
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

  constructor(private readonly options: AnthropicProxyOptions) {
    // Exchanges still streaming could share a commit; with one or none, a write commits at once.
    this.commit = new GroupCommit(options.store, { alone: () => this.active.size <= 1 });
    this.sessions = new AnthropicSessionResolver(
      options.store,
      options.upstream.host,
      options.identity,
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
      const exchange = this.exchanges.get(req);
      if (exchange) exchange.upstreamRequest = proxyReq;
    });
    this.proxy.on('proxyRes', (proxyRes, req, res) => {
      const exchange = this.exchanges.get(req);
      if (exchange) return exchange.relay(proxyRes, res as ServerResponse);
      // Forwarded while recording was paused: relayed as is.
      res.writeHead(proxyRes.statusCode ?? 502, proxyRes.headers);
      proxyRes.pipe(res);
    });
    this.proxy.on('econnreset', (_error, req) => this.exchanges.get(req)?.clientClosed());
    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.handle(req, res));
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
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    let complete = false;
    // With a Content-Length, the body is whole once that many bytes are in: go on at once rather than a tick
    // later at 'end' (the HTTP parser delivers no more body bytes after them).
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    const finish = () => {
      if (refused || complete) return;
      complete = true;
      try {
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
        this.forward(req, res, body, startedMono);
      } catch (error) {
        // Whatever a client sends, the engine answers and goes on.
        this.refuse(
          res,
          400,
          'invalid_request_error',
          `could not handle the request: ${describeError(error)}`,
        );
      }
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.options.maxRequestBytes) {
        if (!refused) this.refuseTooLarge(req, res);
        refused = true;
        return;
      }
      chunks.push(chunk);
      if (size === declared) finish();
    });
    req.on('error', () => res.destroy());
    req.on('end', finish);
  }

  /** Records the request (group-committed), then forwards it; refuses it when it could not be recorded. */
  private forward(req: IncomingMessage, res: ServerResponse, bytes: Buffer, startedMono: number): void {
    if (this.options.pause?.paused) {
      this.forwardUnrecorded(req, res, bytes);
      return;
    }
    const { store, maxBodyBytes } = this.options;
    const path = req.url ?? '/';
    // The path is never parsed as a URL: an absolute-form target with a bad port would throw.
    const isMessages = req.method === 'POST' && (path.split('?')[0] ?? '').endsWith('/v1/messages');
    const encoding = req.headers['content-encoding'];
    const body = prepareBody(bytes, req.headers['content-type'], maxBodyBytes, isMessages, encoding);
    let exchange: Exchange | undefined;
    this.commit.enqueue(
      () => {
        const sessionId = this.sessions.resolve(req.headers, req.socket.remoteAddress);
        const headers = redactHeaders(req.headers, this.fingerprints);
        const { seq } = store.appendRequest(
          sessionId,
          'http.request',
          requestPayload(req.method, path, headers, body),
          isMessages ? 'llm.turn' : 'http.exchange',
          (requestSeq) => ({ request_seq: requestSeq, outcome: 'streaming' }),
          { text: body.searchText, stats: { requests: 1 } },
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
          onDone: (done) => this.active.delete(done),
        });
      },
      (error) => {
        if (error || !exchange) {
          // Recording failed (disk full, database locked…): refuse rather than forward unrecorded.
          const cause = error ? describeError(error) : 'unknown error';
          return this.refuse(
            res,
            500,
            'api_error',
            `could not record the request, so it was not forwarded: ${cause}`,
          );
        }
        this.sendUpstream(req, res, bytes, exchange);
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
    const upstreamUrl = this.options.upstream.toString();
    this.proxy.web(
      req,
      res,
      { buffer: bodySource(body), headers: upstreamHeaders(req, exchange.streaming !== false) },
      (error: Error) =>
        exchange.upstreamUnreachable(
          error,
          res,
          upstreamUrl,
          glassboxErrorBody(
            'api_error',
            `could not reach the upstream Anthropic API at ${upstreamUrl} (${describeError(error)})`,
          ),
        ),
    );
  }

  /** Recording is paused: the request goes upstream untouched and nothing about it is stored. */
  private forwardUnrecorded(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const upstreamUrl = this.options.upstream.toString();
    this.proxy.web(req, res, { buffer: bodySource(body) }, (error: Error) =>
      this.refuse(
        res,
        502,
        'api_error',
        `could not reach the upstream Anthropic API at ${upstreamUrl} (${describeError(error)})`,
      ),
    );
  }

  private refuseTooLarge(req: IncomingMessage, res: ServerResponse): void {
    this.refuse(
      res,
      413,
      'request_too_large',
      `request body over ${this.options.maxRequestBytes} bytes; raise "anthropic.maxRequestBytes" in config.json if this is expected`,
    );
    req.resume();
  }

  private refuse(
    res: ServerResponse,
    status: number,
    type: 'request_too_large' | 'api_error' | 'invalid_request_error',
    message: string,
  ): void {
    if (res.headersSent) return void res.destroy();
    res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
    res.end(glassboxErrorBody(type, message));
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
