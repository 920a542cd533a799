import type {
  ApprovalResponse,
  ApprovalsResponse,
  ApproveRequest,
  DenyRequest,
  ErrorResponse,
  EventsResponse,
  ExportFormat,
  HealthResponse,
  PolicyApplyRequest,
  PolicyApplyResponse,
  PolicyPreviewRequest,
  PolicyPreviewResponse,
  PolicyResponse,
  PolicyTableRequest,
  PolicyTableResponse,
  PolicyTablesResponse,
  PolicyTryRequest,
  PolicyTryResponse,
  RecordingResponse,
  SessionResponse,
  SessionsQuery,
  SessionsResponse,
  TeamResponse,
  VerifyResponse,
} from '../../../proxy/api/types';
import type { IdentityLoginResponse, IdentityResponse } from '../../../proxy/identity/types';

/**
 * A refused or failed API call: HTTP status (0 for a network failure), the API's error code, and the error
 * body's other fields (`issues` of an invalid policy, `sqlstate` of a refused preview query).
 */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Partial<ErrorResponse['error']> = {},
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

/**
 * The dashboard's only way to the engine: the control API over fetch with the bearer token. `base` is the
 * API origin ('' = the page's own origin, as served by the engine).
 */
export class ApiClient {
  /** @param liveBase origin of the live WebSocket when it differs from `base` (the desktop window) */
  constructor(
    readonly token: string,
    readonly base = '',
    readonly liveBase?: string,
  ) {}

  /** GET a JSON body. @throws ApiCallError */
  async get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
    const response = await this.fetch(withParams(path, params));
    return (await response.json()) as T;
  }

  health(): Promise<HealthResponse> {
    return this.get('/api/health');
  }

  sessions(query: SessionsQuery): Promise<SessionsResponse> {
    return this.get('/api/sessions', { ...query });
  }

  session(id: string): Promise<SessionResponse> {
    return this.get(`/api/sessions/${encodeURIComponent(id)}`);
  }

  /** Events with seq > after, at most `limit` (≤ 5,000). */
  events(id: string, after: number, limit: number): Promise<EventsResponse> {
    return this.get(`/api/sessions/${encodeURIComponent(id)}/events`, { after, limit });
  }

  recording(): Promise<RecordingResponse> {
    return this.get('/api/recording');
  }

  /** Pauses or resumes recording (recorded by the engine with who asked, via `dashboard`). */
  async setRecording(recording: boolean): Promise<RecordingResponse> {
    const response = await this.fetch('/api/recording', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ recording, via: 'dashboard' }),
    });
    return (await response.json()) as RecordingResponse;
  }

  /**
   * GET /api/identity: who is signed in, or null when the engine has no sign-in (404: older than issue 18).
   * @throws ApiCallError on any other failure
   */
  async identity(): Promise<IdentityResponse | null> {
    try {
      return await this.get<IdentityResponse>('/api/identity');
    } catch (error) {
      if (error instanceof ApiCallError && error.status === 404) return null;
      throw error;
    }
  }

  /**
   * GET /api/team: how the mirror to the team server stands, or null when the engine has no team route (404:
   * older than issue 19).
   * @throws ApiCallError on any other failure
   */
  async team(): Promise<TeamResponse | null> {
    try {
      return await this.get<TeamResponse>('/api/team');
    } catch (error) {
      if (error instanceof ApiCallError && error.status === 404) return null;
      throw error;
    }
  }

  /** POST /api/identity/login: the engine starts a browser sign-in; open the answer's `url`. @throws ApiCallError */
  identityLogin(): Promise<IdentityLoginResponse> {
    return this.send('POST', '/api/identity/login', {});
  }

  /** POST /api/identity/logout: the engine forgets the tokens (and revokes the refresh token). @throws ApiCallError */
  async identityLogout(): Promise<void> {
    await this.fetch('/api/identity/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
  }

  /** The masking policy in force, policy.json as written, and the connections a table preview can use. */
  policy(): Promise<PolicyResponse> {
    return this.get('/api/policy');
  }

  /** A text masked by a draft (or the policy in force). @throws ApiCallError 400 invalid_policy with issues */
  previewPolicy(body: PolicyPreviewRequest, signal?: AbortSignal): Promise<PolicyPreviewResponse> {
    return this.send('POST', '/api/policy/preview', body, signal);
  }

  /** What a draft would mask beyond the policy in force in the newest recorded sessions. */
  tryPolicy(body: PolicyTryRequest): Promise<PolicyTryResponse> {
    return this.send('POST', '/api/policy/try', body);
  }

  /** A connection's rows (read-only upstream, never recorded) as the database, the agent and the store have them. */
  previewTable(body: PolicyTableRequest): Promise<PolicyTableResponse> {
    return this.send('POST', '/api/policy/preview-table', body);
  }

  /** The tables a connection's role can see, for the table preview. */
  policyTables(connection: string): Promise<PolicyTablesResponse> {
    return this.get('/api/policy/tables', { connection });
  }

  /** Writes policy.json and puts it in force (recorded as policy.changed via api). */
  applyPolicy(body: PolicyApplyRequest): Promise<PolicyApplyResponse> {
    return this.send('PUT', '/api/policy', body);
  }

  /** Approvals, pending first and newest first; `all` adds the decided ones. */
  approvals(all: boolean, limit: number): Promise<ApprovalsResponse> {
    return this.get('/api/approvals', { all: all ? 1 : undefined, limit });
  }

  /** One approval as it is now. @throws ApiCallError 404 `not_found` */
  approval(id: string): Promise<ApprovalResponse> {
    return this.get(`/api/approvals/${encodeURIComponent(id)}`);
  }

  /** Approves (once, or for the same rule in the session for a time). @throws ApiCallError 409 `not_pending` */
  approve(id: string, body: ApproveRequest): Promise<ApprovalResponse> {
    return this.send('POST', `/api/approvals/${encodeURIComponent(id)}/approve`, body);
  }

  /** Denies with a reason the requester is shown. @throws ApiCallError 409 `not_pending`, 400 without a reason */
  deny(id: string, body: DenyRequest): Promise<ApprovalResponse> {
    return this.send('POST', `/api/approvals/${encodeURIComponent(id)}/deny`, body);
  }

  verify(id: string): Promise<VerifyResponse> {
    return this.get(`/api/sessions/${encodeURIComponent(id)}/verify`);
  }

  /**
   * Downloads an export as a file: fetched with the token (a plain link cannot carry it), then saved through a
   * temporary blob URL. @returns the file name
   */
  async download(id: string, format: ExportFormat): Promise<string> {
    const response = await this.fetch(
      withParams(`/api/sessions/${encodeURIComponent(id)}/export`, { format }),
    );
    const disposition = response.headers.get('content-disposition') ?? '';
    const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `glassbox-${id}.${format}`;
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    return filename;
  }

  /** Sends a JSON body and reads the JSON answer. @throws ApiCallError */
  private async send<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const response = await this.fetch(path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
    return (await response.json()) as T;
  }

  /** The live WebSocket's URL (browsers cannot set headers on it, so the token goes in the query). */
  liveUrl(): string {
    const origin = this.liveBase || this.base || window.location.origin;
    return `${origin.replace(/^http/, 'ws')}/api/live?access_token=${encodeURIComponent(this.token)}`;
  }

  private async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${this.token}` },
      });
    } catch (error) {
      throw new ApiCallError(0, 'network', `the engine did not answer (${(error as Error).message})`);
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => null)) as Partial<ErrorResponse> | null;
      throw new ApiCallError(
        response.status,
        body?.error?.code ?? 'http',
        body?.error?.message ?? `HTTP ${response.status}`,
        body?.error ?? {},
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
