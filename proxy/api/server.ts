/**
 * The engine's control API: REST under /api and a WebSocket at /api/live, on 127.0.0.1 only.
 *
 * Threat model. Recordings hold prompts, replies and SQL results: exactly what an attacker wants. The API
 * listens on loopback, so remote hosts cannot reach it, but three local paths remain:
 *  1. A web page in the user's browser sending requests to 127.0.0.1 (CSRF) or rebinding its own DNS name to
 *     127.0.0.1 (DNS rebinding) to read answers. Defences: the Host header must be a loopback name with our
 *     port; a request with a foreign Origin is refused; every request needs the bearer token, which a page
 *     cannot read (it lives in a 0600 file and reaches the dashboard only through the URL fragment).
 *  2. Another local user: cannot read the 0600 token file.
 *  3. A malformed or hostile request: bounded URL parsing, typed errors, never a crash.
 * Guards run in that order — Host, Origin, token — before any route is looked at.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { IdentityControl } from '../identity/types.js';
import type { RecordingSwitch } from '../policy/recording-switch.js';
import type { Store } from '../store/store.js';
import type { Identity } from '../store/types.js';
import { ApiError, checkHost, checkOrigin, checkToken } from './guards.js';
import { RECORDING_PATH, recordingRoute } from './recording.js';
import { type ApprovalRouteOptions, ApprovalRoutes, isApprovalsPath } from './routes/approvals.js';
import {
  GUARD_TOOL_CALL_PATH,
  GUARD_WITHDRAW_PATH,
  type GuardRouteOptions,
  guardToolCallRoute,
  guardWithdrawRoute,
} from './routes/guard.js';
import { identityHealth, identityRoute, isIdentityPath } from './routes/identity.js';
import { isPolicyPath, type PolicyRouteOptions, PolicyRoutes } from './routes/policy.js';
import { type RouteAnswer, sessionRoute } from './routes/sessions.js';
import { TEAM_PATH, type TeamStatusSource, teamRoute } from './routes/team.js';
import { findRendererDir, pagePolicy, type StaticFile, StaticFiles } from './static.js';
import type { EventsResponse, HealthResponse, LiveMessage, SessionResponse } from './types.js';

/** Settings of the control API server. */
export interface ApiServerOptions {
  store: Store;
  token: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  version: string;
  /** Facts for /api/health, read when asked (the store's health is added from `store`). */
  health: () => Omit<HealthResponse, 'ok' | 'version' | 'uptime_s' | 'store'>;
  /** The built dashboard served at /; defaults to {@link findRendererDir}. Null serves none. */
  rendererDir?: string | null;
  /**
   * The recording switch behind GET/POST /api/recording, and the identity (read at each request: the live
   * sign-in) a pause or resume is recorded under.
   */
  recording?: { control: RecordingSwitch; identity: () => Identity };
  /**
   * The sign-in behind /api/identity (read, login, logout), whose changes go to /api/live as
   * `{type: 'identity', state}` and whose status /api/health includes; without it those paths answer 404.
   */
  identity?: IdentityControl;
  /** The masking policy behind /api/policy (read, preview, apply); without it those paths answer 404. */
  policy?: Omit<PolicyRouteOptions, 'store'>;
  /** The approval broker behind /api/approvals, whose changes go to /api/live; without it those paths answer 404. */
  approvals?: ApprovalRouteOptions;
  /** The guard behind POST /api/guard/tool-call (the Claude Code hook); without it that path answers 404. */
  guard?: Omit<GuardRouteOptions, 'store'>;
  /** The team mirror behind GET /api/team, whose status changes go to /api/live; without it that path answers 404. */
  team?: TeamStatusSource;
  /**
   * Engine notices for /api/live besides store changes (e.g. an upstream failing): called at start with the
   * function that pushes a message to every client; returns the function that stops it.
   */
  notices?: (push: (message: LiveMessage) => void) => () => void;
}

const HEARTBEAT_MS = 30_000;

/** The control API server; see the threat model at the top of this file. */
export class ApiServer {
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly startedAt = Date.now();
  private unsubscribe: (() => void) | undefined;
  private stopNotices: (() => void) | undefined;
  private unsubscribeHealth: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly files: StaticFiles | undefined;
  private readonly policy: PolicyRoutes | undefined;
  private readonly approvals: ApprovalRoutes | undefined;
  private unsubscribeApprovals: (() => void) | undefined;
  private unsubscribeIdentity: (() => void) | undefined;
  private unsubscribeSignInFailures: (() => void) | undefined;
  private unsubscribeTeam: (() => void) | undefined;

  constructor(private readonly options: ApiServerOptions) {
    const rendererDir = options.rendererDir === undefined ? findRendererDir() : options.rendererDir;
    this.files = rendererDir ? new StaticFiles(rendererDir) : undefined;
    this.policy = options.policy && new PolicyRoutes({ ...options.policy, store: options.store });
    this.approvals = options.approvals && new ApprovalRoutes(options.approvals);
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    this.server.on('clientError', (_error, socket) => socket.destroy());
  }

  /** The base URL once listening, e.g. http://127.0.0.1:8789. */
  get url(): string {
    const address = this.server.address() as AddressInfo | null;
    if (!address) throw new Error('the control API is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /** The port actually bound. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /**
   * Starts listening and relaying store changes to WebSocket clients.
   * @throws Error (EADDRINUSE, EACCES) when the port cannot be bound.
   */
  async start(): Promise<void> {
    this.server.listen(this.options.port, this.options.host);
    await once(this.server, 'listening');
    this.heartbeat = setInterval(() => this.broadcast({ type: 'heartbeat' }), HEARTBEAT_MS).unref();
    this.stopNotices = this.options.notices?.((message) => this.broadcast(message));
    this.unsubscribeApprovals = this.options.approvals?.approvals.subscribe((approval) =>
      this.broadcast({ type: 'approval', approval }),
    );
    this.unsubscribeIdentity = this.options.identity?.source.subscribe((state) =>
      this.broadcast({ type: 'identity', state }),
    );
    this.unsubscribeTeam = this.options.team?.subscribe((status) => this.broadcast({ type: 'team', status }));
    this.unsubscribeSignInFailures = this.options.identity?.onSignInFailed?.((failure) =>
      this.broadcast({ type: 'sign-in-failed', failure }),
    );
    this.unsubscribeHealth = this.options.store.onHealthChange((store) =>
      this.broadcast({ type: 'store', store }),
    );
  }

  /** Closes WebSockets and the listener. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.stopNotices?.();
    this.unsubscribeApprovals?.();
    this.unsubscribeIdentity?.();
    this.unsubscribeSignInFailures?.();
    this.unsubscribeTeam?.();
    this.unsubscribeHealth?.();
    clearInterval(this.heartbeat);
    for (const client of this.wss.clients) client.close(1001, 'engine stopping');
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      const url = this.guard(req, false);
      if (url.pathname === RECORDING_PATH && this.options.recording) {
        const { control, identity } = this.options.recording;
        recordingRoute(req, control, identity).then(
          (body) => send(res, 200, body),
          (error: unknown) => sendError(res, error),
        );
        return;
      }
      if (url.pathname === GUARD_TOOL_CALL_PATH && this.options.guard) {
        this.answer(res, guardToolCallRoute(req, { ...this.options.guard, store: this.options.store }));
        return;
      }
      if (url.pathname === GUARD_WITHDRAW_PATH && this.options.guard) {
        this.answer(res, guardWithdrawRoute(req, { ...this.options.guard, store: this.options.store }));
        return;
      }
      if (isPolicyPath(url.pathname) && this.policy) {
        this.policy.handle(req, url).then(
          (body) => send(res, 200, body),
          (error: unknown) => sendError(res, error),
        );
        return;
      }
      if (isIdentityPath(url.pathname) && this.options.identity) {
        this.answer(res, identityRoute(req, url, this.options.identity));
        return;
      }
      if (isApprovalsPath(url.pathname) && this.approvals) {
        this.approvals.handle(req, url).then(
          (body) => send(res, 200, body),
          (error: unknown) => sendError(res, error),
        );
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new ApiError(405, 'method_not_allowed', `${req.method} is not supported`);
      const answer = this.route(url);
      if ('file' in answer) sendFile(res, answer.file, req.headers.host ?? '');
      else if ('download' in answer) sendDownload(res, answer.download);
      else send(res, 200, answer.json);
    } catch (error) {
      sendError(res, error);
    }
  }

  /** Sends what a route resolves to (200), or its error. */
  private answer(res: ServerResponse, body: Promise<unknown>): void {
    body.then(
      (json) => send(res, 200, json),
      (error: unknown) => sendError(res, error),
    );
  }

  /** Runs the guards in order and returns the parsed URL. */
  private guard(req: IncomingMessage, allowQueryToken: boolean): URL {
    checkHost(req, this.port);
    checkOrigin(req, this.port);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    } catch {
      throw new ApiError(400, 'bad_url', 'malformed request URL');
    }
    // The dashboard's page and assets carry no data, and the page is how a browser first arrives (token in
    // the fragment): everything outside /api is served without the token, after the Host and Origin checks.
    if (!isApiPath(url.pathname)) return url;
    checkToken(req, url, this.options.token, allowQueryToken);
    return url;
  }

  /** Finds the route's answer: a dashboard file, a download or a JSON body (failures throw ApiError). */
  private route(url: URL): RouteAnswer | { file: StaticFile } {
    const path = url.pathname;
    if (!isApiPath(path)) {
      const file = this.files?.lookup(path);
      if (file) return { file };
      if (this.files) throw new ApiError(404, 'not_found', `no file ${path}`);
      throw new ApiError(404, 'not_built', 'the dashboard is not built; run `npm run build`');
    }
    const answer = sessionRoute(this.options.store, url, this.options.version);
    if (answer) return answer;
    if (path === TEAM_PATH && this.options.team) return teamRoute(this.options.team);
    if (path === '/api/health') {
      const body: HealthResponse = {
        ok: true,
        version: this.options.version,
        uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
        ...this.options.health(),
        store: this.options.store.health(),
        ...(this.options.identity ? { identity: identityHealth(this.options.identity) } : {}),
      };
      return { json: body };
    }
    const match = /^\/api\/sessions\/([0-9A-Za-z_-]{1,128})(\/events)?$/.exec(path);
    if (!match) throw new ApiError(404, 'not_found', `no route ${path}`);
    const id = match[1]!;
    const session = this.options.store.getSession(id);
    if (!session) throw new ApiError(404, 'not_found', `no session ${id}`);
    if (!match[2]) {
      const body: SessionResponse = { session, inflight: this.options.store.inflight(id) };
      return { json: body };
    }
    const after = intParam(url.searchParams, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(url.searchParams, 'limit', 500, 1, 5_000);
    const events = this.options.store.listEvents(id, after, limit);
    const body: EventsResponse = {
      events,
      next_after: events.length === limit ? events[events.length - 1]!.seq : null,
    };
    return { json: body };
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    try {
      const url = this.guard(req, true);
      if (url.pathname !== '/api/live') throw new ApiError(404, 'not_found', 'WebSocket only at /api/live');
      this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        ws.on('error', () => ws.terminate());
        // Subscribe to the store only while someone listens: the recording hot path pays nothing otherwise.
        this.unsubscribe ??= this.options.store.subscribe((change) => this.broadcast(change));
        ws.on('close', () => {
          if (this.wss.clients.size === 0) {
            this.unsubscribe?.();
            this.unsubscribe = undefined;
          }
        });
        ws.send(JSON.stringify({ type: 'hello', version: this.options.version } satisfies LiveMessage));
      });
    } catch (error) {
      const status = error instanceof ApiError ? error.status : 500;
      socket.end(`HTTP/1.1 ${status} Refused\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    }
  }

  private broadcast(message: LiveMessage): void {
    if (this.wss.clients.size === 0) return;
    const text = JSON.stringify(message);
    for (const client of this.wss.clients) {
      // Slow consumers are dropped rather than buffered without bound.
      if (client.bufferedAmount > 8 * 1024 * 1024) client.terminate();
      else client.send(text);
    }
  }
}

function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ApiError(400, 'bad_param', `${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};

/** Answers a failed request with its ApiError's status (500 for anything else). */
function sendError(res: ServerResponse, error: unknown): void {
  const apiError =
    error instanceof ApiError
      ? error
      : new ApiError(500, 'internal', `internal error: ${(error as Error).message}`);
  send(
    res,
    apiError.status,
    { error: { ...apiError.details, code: apiError.code, message: apiError.message } },
    apiError.status === 401,
  );
}

function send(res: ServerResponse, status: number, body: unknown, challenge = false): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    ...SECURITY_HEADERS,
    ...(challenge ? { 'www-authenticate': 'Bearer realm="glassbox"' } : {}),
  });
  res.end(JSON.stringify(body));
}

/** True for the API's paths; everything else is the dashboard's files. */
function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

function sendFile(res: ServerResponse, file: StaticFile, host: string): void {
  res.writeHead(200, {
    'content-type': file.contentType,
    'content-length': file.body.length,
    ...SECURITY_HEADERS,
    ...(file.immutable ? { 'cache-control': 'public, max-age=31536000, immutable' } : {}),
    ...(file.isPage ? { 'content-security-policy': pagePolicy(host), 'x-frame-options': 'DENY' } : {}),
  });
  res.end(res.req.method === 'HEAD' ? undefined : file.body);
}

/** Writes a download synchronously: export generators read the store, which must not interleave with writes. */
function sendDownload(
  res: ServerResponse,
  download: Extract<RouteAnswer, { download: unknown }>['download'],
) {
  res.writeHead(200, {
    'content-type': download.contentType,
    'content-disposition': `attachment; filename="${download.filename}"`,
    ...SECURITY_HEADERS,
  });
  for (const chunk of download.chunks) res.write(chunk);
  res.end();
}
