import type { RecordingResponse } from '../proxy/api/recording.js';
import type {
  ApprovalsResponse,
  EventsResponse,
  HealthResponse,
  SessionsResponse,
} from '../proxy/api/types.js';
import type { IdentityLoginResponse, IdentityResponse } from '../proxy/identity/types.js';
import type { MirrorStatus } from '../proxy/sync/types.js';

/** Where the engine's control API is and the bearer token it wants. */
export interface EngineAddress {
  /** e.g. http://127.0.0.1:8789 */
  apiUrl: string;
  token: string;
}

/** A failed control API call: the HTTP status (0 when unreachable) and the engine's message. */
export class EngineRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'EngineRequestError';
  }
}

/**
 * The few control API calls the desktop shell makes (the renderer talks to the API itself). Uses the global
 * fetch (Node 20, Electron's main process); every call has a timeout.
 */
export class EngineClient {
  constructor(
    private readonly address: EngineAddress,
    private readonly timeoutMs = 5_000,
  ) {}

  /** True when GET /api/health answers 200; never throws. */
  async healthy(): Promise<boolean> {
    try {
      await this.request('/api/health');
      return true;
    } catch {
      return false;
    }
  }

  /** GET /api/health: the engine's addresses and whether it can record (`store`). @throws EngineRequestError */
  health(): Promise<HealthResponse> {
    return this.request<HealthResponse>('/api/health');
  }

  /** GET /api/recording. @throws EngineRequestError */
  recording(): Promise<RecordingResponse> {
    return this.request<RecordingResponse>('/api/recording');
  }

  /** POST /api/recording: turns recording on or off, naming the client (`tray`). @throws EngineRequestError */
  setRecording(recording: boolean, via: string): Promise<RecordingResponse> {
    return this.request<RecordingResponse>('/api/recording', {
      method: 'POST',
      body: JSON.stringify({ recording, via }),
    });
  }

  /**
   * How many sessions started at or after `sinceUs` (µs since epoch), counting at most `cap`.
   * @throws EngineRequestError
   */
  async sessionsSince(sinceUs: number, cap = 1_000): Promise<number> {
    const page = await this.request<SessionsResponse>(`/api/sessions?limit=${cap}&from=${sinceUs}`);
    return page.sessions.filter((session) => session.started_at >= sinceUs).length;
  }

  /** GET /api/approvals: the pending approvals (newest first, at most `limit`) and how many wait. @throws EngineRequestError */
  approvals(limit = 100): Promise<ApprovalsResponse> {
    return this.request<ApprovalsResponse>(`/api/approvals?limit=${limit}`);
  }

  /**
   * GET /api/identity: the sign-in as the engine sees it, or undefined when the engine has no sign-in API
   * (404: an engine from before issue 18). @throws EngineRequestError on any other failure
   */
  async identity(): Promise<IdentityResponse | undefined> {
    try {
      return await this.request<IdentityResponse>('/api/identity');
    } catch (error) {
      if (error instanceof EngineRequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * GET /api/team: how the mirror to the team server stands, or undefined when the engine has no team API
   * (404: an engine from before issue 19). @throws EngineRequestError on any other failure
   */
  async team(): Promise<MirrorStatus | undefined> {
    try {
      return await this.request<MirrorStatus>('/api/team');
    } catch (error) {
      if (error instanceof EngineRequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * POST /api/identity/login: the engine starts a browser sign-in; the answer is the provider's page to open.
   * @throws EngineRequestError (e.g. the provider cannot be reached: the engine's message says so)
   */
  identityLogin(): Promise<IdentityLoginResponse> {
    return this.request<IdentityLoginResponse>('/api/identity/login', { method: 'POST', body: '{}' });
  }

  /** POST /api/identity/logout: forgets the tokens (revoking the refresh token). @throws EngineRequestError */
  async identityLogout(): Promise<void> {
    await this.request<unknown>('/api/identity/logout', { method: 'POST', body: '{}' });
  }

  /** The distinct client names of the newest `cap` sessions. @throws EngineRequestError */
  async knownClients(cap = 1_000): Promise<string[]> {
    const page = await this.request<SessionsResponse>(`/api/sessions?limit=${cap}`);
    return [...new Set(page.sessions.flatMap((session) => (session.client ? [session.client] : [])))];
  }

  /** The event of `sessionId` with sequence number `seq`, or undefined. @throws EngineRequestError */
  async event(sessionId: string, seq: number): Promise<EventsResponse['events'][number] | undefined> {
    const page = await this.request<EventsResponse>(
      `/api/sessions/${encodeURIComponent(sessionId)}/events?after=${seq - 1}&limit=1`,
    );
    return page.events.find((event) => event.seq === seq);
  }

  private async request<T>(path: string, init: { method?: string; body?: string } = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.address.apiUrl}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${this.address.token}`,
          ...(init.body ? { 'content-type': 'application/json' } : {}),
        },
        ...(init.body ? { body: init.body } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new EngineRequestError(0, `the engine is not answering (${(error as Error).message})`);
    }
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
      } catch {
        // Not JSON: keep the text.
      }
      throw new EngineRequestError(response.status, message);
    }
    // 204 No Content (a logout) has no body.
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** Local midnight of `now` in µs since epoch: where "sessions today" starts. */
export function startOfTodayUs(now: Date = new Date()): number {
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  return midnight.getTime() * 1000;
}
