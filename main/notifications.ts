/**
 * Which desktop notifications to show, at most one per event: a client seen for the first time, an upstream
 * becoming unreachable (again only after it was reachable in between), an approval request (once per id),
 * the sign-in turning expired (again only after it was signed in or out in between).
 * While the OS is in do-not-disturb nothing is shown and the event counts as handled (no backlog bursts out
 * afterwards). Pure logic; the glue turns a {@link NotificationSpec} into an Electron Notification.
 */

import type { SignInStatus } from '../proxy/identity/types.js';
import { signInExpiredNotice } from './sign-in.js';

/** Something that happened in the engine that might deserve a notification. */
export type EngineSignal =
  | { type: 'client-seen'; client: string; kind: string }
  | { type: 'upstream-unreachable'; target: string; detail: string }
  | { type: 'upstream-ok'; target: string }
  /** `open`: the renderer route a click opens (default the approval's own page). */
  | { type: 'approval-requested'; id: string; summary: string; title?: string; open?: string }
  /** The sign-in's state as the engine reports it (GET /api/identity, live `identity` messages). */
  | { type: 'sign-in'; status: SignInStatus; issuer: string | null; reason: string | null }
  /** A sign-in started through the engine (tray, window) was denied, timed out or could not be stored. */
  | { type: 'sign-in-failed'; code: string; message: string };

/** A notification to show; `open` is what clicking it opens in the window (a renderer route). */
export interface NotificationSpec {
  /** Stable key of the event it reports (de-duplication key). */
  key: string;
  title: string;
  body: string;
  open: string;
}

/** Where the set of clients already seen is kept between runs (a small JSON file in the app's data folder). */
export interface SeenClientsStore {
  load(): string[];
  save(clients: string[]): void;
}

/** Settings of {@link NotificationDecider}. */
export interface NotificationDeciderOptions {
  seen: SeenClientsStore;
  /** True while the OS is in do-not-disturb / focus mode. */
  doNotDisturb: () => boolean;
}

/** Approval ids remembered as already notified, at most. */
const MAX_REMEMBERED = 10_000;

/** See the file comment. */
export class NotificationDecider {
  private readonly clients: Set<string>;
  private readonly unreachable = new Set<string>();
  private readonly approvals = new Set<string>();
  /** True once the current expiry was announced, until the sign-in changes back. */
  private expiryAnnounced = false;

  constructor(private readonly options: NotificationDeciderOptions) {
    this.clients = new Set(options.seen.load());
  }

  /**
   * Marks clients as already known without notifying (the sessions that existed before the app started).
   */
  remember(clients: Iterable<string>): void {
    let added = false;
    for (const client of clients) {
      if (!this.clients.has(client)) {
        this.clients.add(client);
        added = true;
      }
    }
    if (added) this.options.seen.save([...this.clients]);
  }

  /** Decides whether `signal` gets a notification; records it either way, so it never notifies twice. */
  decide(signal: EngineSignal): NotificationSpec | undefined {
    const spec = this.classify(signal);
    if (!spec || this.options.doNotDisturb()) return undefined;
    return spec;
  }

  private classify(signal: EngineSignal): NotificationSpec | undefined {
    switch (signal.type) {
      case 'client-seen': {
        if (this.clients.has(signal.client)) return undefined;
        this.clients.add(signal.client);
        this.options.seen.save([...this.clients]);
        return {
          key: `client:${signal.client}`,
          title: 'New client recorded',
          body: `${signal.client} is sending ${signal.kind === 'postgres' ? 'PostgreSQL' : 'Anthropic API'} traffic through Glassbox for the first time.`,
          open: '/sessions',
        };
      }
      case 'upstream-unreachable': {
        if (this.unreachable.has(signal.target)) return undefined;
        this.unreachable.add(signal.target);
        return {
          key: `upstream:${signal.target}`,
          title: 'Upstream unreachable',
          body: `Glassbox could not reach ${signal.target}: ${signal.detail}`,
          open: '/sessions',
        };
      }
      case 'upstream-ok':
        this.unreachable.delete(signal.target);
        return undefined;
      case 'approval-requested': {
        if (this.approvals.has(signal.id)) return undefined;
        // Ids of long-decided approvals are forgotten first (a Set keeps insertion order).
        if (this.approvals.size >= MAX_REMEMBERED)
          this.approvals.delete(this.approvals.values().next().value!);
        this.approvals.add(signal.id);
        return {
          key: `approval:${signal.id}`,
          title: signal.title ?? 'Approval requested',
          body: signal.summary,
          open: signal.open ?? `/approvals/${encodeURIComponent(signal.id)}`,
        };
      }
      case 'sign-in': {
        if (signal.status !== 'expired') {
          this.expiryAnnounced = false;
          return undefined;
        }
        if (this.expiryAnnounced) return undefined;
        this.expiryAnnounced = true;
        return { key: 'sign-in:expired', ...signInExpiredNotice(signal.issuer, signal.reason), open: '/' };
      }
      case 'sign-in-failed':
        // Each failure is news (the person just tried): shown every time, never de-duplicated away.
        return {
          key: `sign-in-failed:${signal.code}`,
          title: 'Glassbox: sign-in failed',
          body: signal.message,
          open: '/',
        };
    }
  }
}
