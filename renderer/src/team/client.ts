import type {
  AlertPage,
  ApprovalDecisionBody,
  ChainVerification,
  EventPage,
  Me,
  RoutedApproval,
  ServerSession,
  SessionPage,
} from '../../../proxy/sync/protocol';

/** A refused or failed call to the team server: HTTP status (0: no answer) and its `{error, message}`. */
export class TeamCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TeamCallError';
  }
}

/** The sessions list's filters (all optional; `from`/`to` in µs since the epoch). */
export interface TeamSessionFilters {
  person?: string;
  group?: string;
  target?: string;
  from?: number;
  to?: number;
  q?: string;
}

/** Export formats the server offers (`GET /v1/sessions/:id/export?format=`). */
export type TeamExportFormat = 'jsonl' | 'har' | 'sql';

/** `GET /v1/approvals?status=pending` — the routed approvals this person may decide or asked for. */
export interface ApprovalList {
  approvals: RoutedApproval[];
}

/** The header every state-changing request from the dashboard carries (server/auth/browser-session.ts). */
export const CSRF_HEADER = 'x-glassbox-csrf';

/**
 * The dashboard's only way to the team server: its `/v1` read API and approvals, with the browser session's
 * httpOnly cookie (same origin; the page never sees the token). `base` is the server's origin ('' = the page's).
 */
export class TeamClient {
  constructor(readonly base = '') {}

  /** The signed-in person. @throws TeamCallError 401 when not signed in (or the sign-in expired) */
  me(): Promise<Me> {
    return this.get('/v1/me');
  }

  /** A page of sessions, newest first. */
  sessions(filters: TeamSessionFilters, cursor: string | null, limit = 50): Promise<SessionPage> {
    return this.get('/v1/sessions', { ...filters, cursor: cursor ?? undefined, limit });
  }

  session(id: string): Promise<ServerSession> {
    return this.get(`/v1/sessions/${encodeURIComponent(id)}`);
  }

  /** Events with seq > `after`, at most `limit`. */
  events(id: string, after: number, limit: number): Promise<EventPage> {
    return this.get(`/v1/sessions/${encodeURIComponent(id)}/events`, { after, limit });
  }

  /** The server's own recomputation of the session's chain. */
  verify(id: string): Promise<ChainVerification> {
    return this.get(`/v1/sessions/${encodeURIComponent(id)}/verify`);
  }

  /** Integrity alerts, newest first (auditors). */
  alerts(cursor: string | null, limit = 50): Promise<AlertPage> {
    return this.get('/v1/alerts', { cursor: cursor ?? undefined, limit });
  }

  /** Pending routed approvals. Accepts `{approvals}` or a bare array from the server. */
  async pendingApprovals(): Promise<RoutedApproval[]> {
    const body = await this.get<ApprovalList | RoutedApproval[]>('/v1/approvals', { status: 'pending' });
    return Array.isArray(body) ? body : body.approvals;
  }

  /** Decides a routed approval as the signed-in person. @throws TeamCallError (409 when no longer pending) */
  decide(id: string, body: ApprovalDecisionBody): Promise<RoutedApproval> {
    return this.send('POST', `/v1/approvals/${encodeURIComponent(id)}/decision`, body);
  }

  /** A link that downloads the export (the cookie goes with it; no token in the URL). */
  exportUrl(id: string, format: TeamExportFormat): string {
    return `${this.base}/v1/sessions/${encodeURIComponent(id)}/export?format=${format}`;
  }

  /** Where the browser goes to sign in, coming back to `returnTo`. */
  loginUrl(returnTo: string): string {
    return `${this.base}/auth/login?return=${encodeURIComponent(returnTo)}`;
  }

  /** Ends the browser session (the cookie is deleted). */
  async logout(): Promise<void> {
    await this.fetch('/auth/logout', { method: 'POST', headers: { [CSRF_HEADER]: '1' } });
  }

  /** The live stream's URL (authenticated by the cookie at the upgrade). */
  liveUrl(): string {
    return `${(this.base || window.location.origin).replace(/^http/, 'ws')}/v1/live`;
  }

  /** GET a JSON body. @throws TeamCallError */
  async get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
    return (await (await this.fetch(withParams(path, params))).json()) as T;
  }

  private async send<T>(method: string, path: string, body: unknown): Promise<T> {
    const response = await this.fetch(path, {
      method,
      headers: { 'content-type': 'application/json', [CSRF_HEADER]: '1' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as T;
  }

  private async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, { ...init, credentials: 'same-origin' });
    } catch (error) {
      throw new TeamCallError(0, 'network', `the team server did not answer (${(error as Error).message})`);
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => null)) as { error?: string; message?: string } | null;
      throw new TeamCallError(
        response.status,
        body?.error ?? 'http',
        body?.message ?? `HTTP ${response.status}`,
      );
    }
    return response;
  }
}

function withParams(path: string, params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}
