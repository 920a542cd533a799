/**
 * Watches the engine's live feed (WebSocket /api/live) and turns it into what the desktop shell reacts to:
 * {@link EngineSignal}s for notifications (one per new approval request, none for its later changes), the
 * approvals' changes for the tray's list, the sign-in's changes, and a "something changed" tick for the tray's counts and recording
 * state. Reconnects after the engine restarts. Electron-free (uses `ws`).
 */
import WebSocket from 'ws';
import type { Approval, LiveMessage } from '../proxy/api/types.js';
import type { SignInState } from '../proxy/identity/types.js';
import type { MirrorStatus } from '../proxy/sync/types.js';
import { approvalNotice, teamApprovalNotice } from './approvals.js';
import type { EngineAddress, EngineClient } from './engine-client.js';
import type { EngineSignal } from './notifications.js';

/** Settings of {@link watchEngine}. */
export interface LiveWatchOptions {
  address: EngineAddress;
  client: EngineClient;
  onSignal: (signal: EngineSignal) => void;
  /** Sessions, recording or the store's health changed, or the feed (re)connected: refresh the tray. */
  onChange: () => void;
  /** An approval was requested, decided, expired or withdrawn (the whole approval, as /api/live sends it). */
  onApproval?: (approval: Approval) => void;
  /** The sign-in changed (a live `identity` message: signed in, out, refreshed or expired). */
  onIdentity?: (state: SignInState) => void;
  /** The mirror to the team server changed (a live `team` message: the whole status again). */
  onTeam?: (status: MirrorStatus) => void;
  /** Delay before reconnecting after the feed closes, in ms (default 2 000). */
  reconnectMs?: number;
}

/** The client name of the engine's own pause records (see proxy/policy/recording-switch.ts). */
const CONTROL_CLIENT = 'glassbox-control';
const OUTCOME_KINDS = new Set(['llm.turn', 'http.exchange']);
const MAX_TRACKED = 1_000;

/**
 * Connects and keeps connected until the returned function is called.
 * @returns stop: closes the feed and cancels reconnecting
 */
export function watchEngine(options: LiveWatchOptions): () => void {
  const targets = new Map<string, string>();
  let socket: WebSocket | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const handle = async (message: LiveMessage) => {
    if (message.type === 'identity') {
      options.onIdentity?.(message.state);
      return;
    }
    if (message.type === 'team') {
      options.onTeam?.(message.status);
      return;
    }
    if (message.type === 'sign-in-failed') {
      // A sign-in the tray (or the window) started ended badly: tell the person even with the window closed.
      options.onSignal({
        type: 'sign-in-failed',
        code: message.failure.code,
        message: message.failure.message,
      });
      return;
    }
    if (message.type === 'session') {
      const { session } = message;
      if (targets.size >= MAX_TRACKED) targets.clear();
      targets.set(session.id, session.target);
      options.onChange();
      if (session.client && session.client !== CONTROL_CLIENT) {
        options.onSignal({ type: 'client-seen', client: session.client, kind: session.kind });
      }
      return;
    }
    if (message.type === 'approval') {
      const { approval } = message;
      options.onApproval?.(approval);
      // Only a new request is news; its decision, expiry or withdrawal only updates the tray.
      if (approval.status === 'pending') {
        const { title, body } = approvalNotice(approval);
        options.onSignal({ type: 'approval-requested', id: approval.id, title, summary: body });
      }
      return;
    }
    if (message.type === 'team-approval') {
      // Routed to the person's group on the team server by someone else: announced once, when it arrives.
      const { approval } = message;
      if (approval.status === 'pending') {
        const { title, body } = teamApprovalNotice(approval);
        options.onSignal({
          type: 'approval-requested',
          id: approval.id,
          title,
          summary: body,
          open: '/approvals',
        });
      }
      return;
    }
    if (message.type === 'hello') {
      // (Re)connected: what changed while the feed was down (approvals decided meanwhile) is re-read.
      options.onChange();
      return;
    }
    if (message.type === 'store') {
      // Recording stopped or resumed (the store's health): the tray shows it.
      options.onChange();
      return;
    }
    if (message.type !== 'event') return;
    const watched =
      OUTCOME_KINDS.has(message.kind) || message.kind === 'pg.error' || message.kind === 'pg.session';
    if (!watched) return;
    const event = await options.client.event(message.session_id, message.seq);
    const payload = (event?.payload ?? {}) as Record<string, unknown>;
    const target = targets.get(message.session_id) ?? 'the upstream';
    const signal = upstreamSignal(message.kind, payload, target);
    if (signal) options.onSignal(signal);
  };

  const connect = () => {
    if (stopped) return;
    const url = `${options.address.apiUrl.replace(/^http/, 'ws')}/api/live`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${options.address.token}` } });
    socket = ws;
    ws.on('message', (data) => {
      let message: LiveMessage;
      try {
        message = JSON.parse(data.toString()) as LiveMessage;
      } catch {
        return;
      }
      handle(message).catch(() => undefined);
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      if (!stopped) timer = setTimeout(connect, options.reconnectMs ?? 2_000);
    });
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    socket?.close();
  };
}

/**
 * Reads an outcome event as upstream health: an Anthropic exchange that could not reach upstream, a
 * PostgreSQL start-up failing with 08006, or (reachable again) a completed exchange or connected session.
 */
export function upstreamSignal(
  kind: string,
  payload: Record<string, unknown>,
  target: string,
): EngineSignal | undefined {
  if (OUTCOME_KINDS.has(kind)) {
    if (payload.outcome === 'upstream_unreachable') {
      const error = payload.error as { message?: unknown } | undefined;
      const detail = typeof error?.message === 'string' ? error.message : 'connection failed';
      return { type: 'upstream-unreachable', target, detail };
    }
    return payload.outcome === 'complete' ? { type: 'upstream-ok', target } : undefined;
  }
  if (kind === 'pg.error' && payload.sqlstate === '08006' && payload.context === 'startup') {
    return { type: 'upstream-unreachable', target, detail: String(payload.message ?? 'connection failed') };
  }
  if (kind === 'pg.session' && payload.event === 'connected') return { type: 'upstream-ok', target };
  return undefined;
}
