/**
 * The engine's live identity: the sign-in state from identity.json (watched, so a `glassbox login` or
 * `logout` elsewhere applies to the next session without a restart), and a refresh timer that keeps the
 * access token fresh (refresh.ts): due max(30 s, 20% of the lifetime) before expiry, re-scheduled at every
 * state change, retried with backoff while the provider does not answer (the state turns expired when the
 * access token runs out, and back to signed-in when the provider answers again), stopped by a refusal
 * (`invalid_grant`) until the next sign-in.
 */

import { isDeepStrictEqual } from 'node:util';
import { describeError } from '../common/errors.js';
import { type FileWatch, watchFiles } from '../common/file-watch.js';
import { homePaths } from '../config.js';
import type { Identity } from '../store/types.js';
import { localIdentity } from './local.js';
import { type RefreshOutcome, refreshDueAt, refreshSignIn } from './refresh.js';
import { readSignInState } from './sign-in-state.js';
import type { IdentitySettings, IdentitySource, SignInState } from './types.js';

/** Options of {@link IdentityComponent}. */
export interface IdentityComponentOptions {
  home: string;
  /** config.json's `identity` section; undefined when sign-in is not configured (then nothing is refreshed). */
  settings: IdentitySettings | undefined;
  /** One-line warnings for the engine's stderr (never a token). */
  warn: (message: string) => void;
  /** The environment for the token store (GLASSBOX_VAULT_KEY from the desktop app). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Retry delays while the provider does not answer, ms: `firstMs`, doubling up to `maxMs`. Default 5 s, 5 min. */
  retry?: { firstMs: number; maxMs: number };
  /**
   * The longest the refresh timer sleeps before looking at the wall clock again, ms. Default 60 000. Timers run
   * on a monotonic clock that stops while a laptop sleeps: a refresh due during the night would otherwise
   * wait after wake-up for what was left of its delay, with sessions recorded as expired meanwhile.
   */
  wakeCheckMs?: number;
}

/** The sentence a refusal carries when identity is required and nobody is signed in. */
export const SIGN_IN_REQUIRED =
  'Glassbox requires sign-in with your identity provider: run `glassbox login` (or use Sign in… in the tray)';

/** The engine's {@link IdentitySource}: a component with start and stop. */
export class IdentityComponent implements IdentitySource {
  private signIn: SignInState;
  private readonly listeners = new Set<(state: SignInState) => void>();
  private watch: FileWatch | undefined;
  private readonly os = localIdentity();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  /** Refreshes in a row the provider did not answer (for the backoff). */
  private failures = 0;
  /** The last warning given, so a retry that fails the same way is not warned about again. */
  private lastWarning: string | null = null;
  private stopped = false;
  /** Aborted by `stop`, so a refresh still waiting for the lock does not hold the engine's shutdown. */
  private stopping = new AbortController();

  constructor(private readonly options: IdentityComponentOptions) {
    this.signIn = readSignInState(options.home);
  }

  /** Reads the state, watches identity.json, and schedules the next refresh. */
  async start(): Promise<void> {
    const { home } = this.options;
    this.stopped = false;
    this.stopping = new AbortController();
    this.reload();
    this.watch = watchFiles(home, [homePaths(home).identity], () => this.reload(), { settleMs: 50 });
    this.scheduleFromState();
  }

  /**
   * Stops the timer and the watch. A refresh waiting for the lock gives up; one that has asked the provider is
   * waited for (at most its request timeout), so a rotated refresh token still reaches the store.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    clearTimeout(this.timer);
    this.watch?.close();
    await this.refreshing;
    this.listeners.clear();
  }

  /**
   * The identity for a new session, from the state in memory (no I/O). Verified only while signed in and the
   * access token has not expired: a refresh that has not succeeded by then makes it `expired`.
   */
  current(): Identity {
    const state = this.signIn;
    const claims = state.claims;
    if (this.valid(state) && claims) {
      return {
        ...this.os,
        subject: claims.subject,
        email: claims.email,
        groups: claims.groups,
        verified: true,
        issuer: claims.issuer,
        name: claims.name,
        token_fingerprint: state.token_fingerprint,
        identity_status: 'verified',
      };
    }
    const lapsed = state.status !== 'signed-out' && this.fromConfiguredIssuer(state);
    return { ...this.os, identity_status: lapsed ? 'expired' : 'signed-out' };
  }

  state(): SignInState {
    return this.signIn;
  }

  refusal(): string | null {
    if (!this.options.settings?.required) return null;
    return this.valid(this.signIn) ? null : SIGN_IN_REQUIRED;
  }

  subscribe(listener: (state: SignInState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private valid(state: SignInState): boolean {
    return (
      state.status === 'signed-in' &&
      state.expires_at !== null &&
      Date.now() < state.expires_at &&
      this.fromConfiguredIssuer(state)
    );
  }

  /**
   * True when the sign-in came from the issuer config.json names now: a sign-in left from a provider no longer
   * configured (or with sign-in no longer configured at all) verifies nobody, since nothing refreshes it.
   */
  private fromConfiguredIssuer(state: SignInState): boolean {
    const configured = this.options.settings?.issuer;
    const issuer = state.claims?.issuer;
    if (!configured || !issuer) return false;
    return configured.replace(/\/+$/, '') === issuer.replace(/\/+$/, '');
  }

  /**
   * Re-reads identity.json now (it changed here or in another process; the sign-in controls call it after
   * storing or forgetting a sign-in, so the next session sees it at once): subscribers are told when the state
   * changed, and the refresh is re-scheduled.
   */
  reload(): void {
    if (this.apply(readSignInState(this.options.home)) && !this.refreshing) {
      this.failures = 0;
      this.scheduleFromState();
    }
  }

  /** Takes `next` as the state; true (and subscribers told) when it differs. */
  private apply(next: SignInState): boolean {
    if (isDeepStrictEqual(next, this.signIn)) return false;
    this.signIn = next;
    for (const listener of this.listeners) {
      try {
        listener(next);
      } catch (error) {
        this.options.warn(`Sign-in: a listener failed: ${describeError(error)}`);
      }
    }
    return true;
  }

  /** The next refresh as the state says: when due while signed in, at once while expired (it may recover). */
  private scheduleFromState(): void {
    const state = this.signIn;
    if (state.status === 'signed-in' && state.expires_at !== null) {
      this.schedule(refreshDueAt(state.expires_at, state.changed_at));
    } else if (state.status === 'expired') {
      this.schedule(Date.now());
    } else {
      this.schedule(null);
    }
  }

  private schedule(at: number | null): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (at === null || this.stopped || !this.options.settings) return;
    const delay = Math.max(0, at - Date.now());
    const wakeCheckMs = this.options.wakeCheckMs ?? 60_000;
    // Due by the wall clock (not by the timer's monotonic clock): refresh; not yet: look again later.
    this.timer = setTimeout(
      () => (Date.now() >= at ? this.refresh() : this.schedule(at)),
      Math.min(delay, wakeCheckMs),
    );
    this.timer.unref();
  }

  private refresh(): void {
    const settings = this.options.settings;
    if (this.refreshing || this.stopped || !settings) return;
    this.refreshing = (async () => {
      let outcome: RefreshOutcome;
      try {
        outcome = await refreshSignIn({
          home: this.options.home,
          settings,
          env: this.options.env,
          signal: this.stopping.signal,
        });
      } catch (error) {
        outcome = { result: 'failed', state: this.signIn, reason: describeError(error), nextAt: null };
      }
      if (this.stopped) return;
      // The file, not the outcome: another process may have changed it since (a login, a logout).
      const now = readSignInState(this.options.home);
      this.apply(now);
      if (!isDeepStrictEqual(now, outcome.state)) {
        this.failures = 0;
        this.scheduleFromState();
        return;
      }
      this.settle(outcome);
    })()
      .catch((error: unknown) => this.options.warn(`Sign-in: the refresh failed: ${describeError(error)}`))
      .finally(() => {
        this.refreshing = undefined;
      });
  }

  /** What to do next after `outcome`: the next refresh, a retry with backoff, or nothing until a sign-in. */
  private settle(outcome: RefreshOutcome): void {
    switch (outcome.result) {
      case 'refreshed':
      case 'adopted':
      case 'not-due':
        this.failures = 0;
        this.lastWarning = null;
        this.schedule(outcome.nextAt);
        return;
      case 'unreachable': {
        this.failures += 1;
        const retry = this.options.retry ?? { firstMs: 5_000, maxMs: 300_000 };
        let at = Date.now() + Math.min(retry.maxMs, retry.firstMs * 2 ** Math.min(30, this.failures - 1));
        // Still valid: try again no later than its expiry, when the state must turn expired.
        const expiresAt = outcome.state.expires_at;
        if (outcome.state.status === 'signed-in' && expiresAt !== null && expiresAt > Date.now()) {
          at = Math.min(at, expiresAt);
        }
        this.warnOnce(`Sign-in: ${outcome.reason ?? 'the identity provider did not answer'}; retrying`);
        this.schedule(at);
        return;
      }
      case 'refused':
      case 'failed':
        this.warnOnce(`Sign-in: ${outcome.reason ?? 'the refresh failed'}`);
        this.schedule(null);
        return;
      case 'signed-out':
      case 'cancelled':
        this.schedule(null);
    }
  }

  private warnOnce(message: string): void {
    if (message === this.lastWarning) return;
    this.lastWarning = message;
    this.options.warn(message);
  }
}
