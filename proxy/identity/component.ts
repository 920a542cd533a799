/**
 * The engine's live identity: the sign-in state from identity.json (watched, so a `glassbox login` or
 * `logout` elsewhere applies to the next session without a restart), and a refresh timer that keeps the
 * access token fresh (refresh.ts): due max(30 s, 20% of the lifetime) before expiry, re-scheduled at every
 * state change, retried with backoff while the provider does not answer (the state turns expired when the
 * access token runs out, and back to signed-in when the provider answers again), stopped by a refusal
 * (`invalid_grant`) until the next sign-in.
 *
 * A state is taken (and subscribers told) only once its stored ID token has been checked (verify-sign-in.ts):
 * identity.json and the token file are anyone's to write under the account, so a session's person comes from
 * the signed ID token, never from those files. Until a new state is checked the previous one stands.
 */

import { isDeepStrictEqual } from 'node:util';
import { describeError } from '../common/errors.js';
import { type FileWatch, watchFiles } from '../common/file-watch.js';
import { homePaths } from '../config.js';
import type { Identity } from '../store/types.js';
import { localIdentity } from './local.js';
import { type RefreshOutcome, refreshDueAt, refreshSignIn } from './refresh.js';
import { sameIssuer } from './settings.js';
import { readSignInState } from './sign-in-state.js';
import { storeForState } from './token-store.js';
import type { IdentitySettings, IdentitySource, SignInState } from './types.js';
import { isTemporaryVerifyFailure, SignInVerifier, type VerifiedSignIn } from './verify-sign-in.js';

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
  /**
   * The longest `start` waits for the check of the stored sign-in (verify-sign-in.ts), ms. Default 3 000. A
   * provider that does not answer must not hold the engine's start: the check goes on in the background, and
   * sessions are unverified until it succeeds.
   */
  startWaitMs?: number;
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
  /**
   * The last warning given by each retry loop (refresh, check of the stored sign-in), so a retry that fails the
   * same way is not warned about again.
   */
  private readonly lastWarnings = { refresh: null as string | null, verify: null as string | null };
  private stopped = false;
  /** Aborted by `stop`, so a refresh still waiting for the lock does not hold the engine's shutdown. */
  private stopping = new AbortController();
  /** The stored sign-in whose ID token verified last (its fingerprint and person); null when none did. */
  private verified: VerifiedSignIn | null = null;
  /**
   * Until when (ms since epoch) the grant is known alive because this process's own refresh succeeded: the
   * access token it obtained. In memory only: identity.json and the token store can be edited, the provider's
   * answer to this process cannot. Null until a refresh here succeeds, and again once the sign-in ends.
   */
  private grantAliveUntil: number | null = null;
  private readonly verifier: SignInVerifier | undefined;
  /** Counts loads of identity.json, so a slower check of an older state never overrides a newer one. */
  private loads = 0;
  /** A check the provider did not answer, tried again with backoff; and how many failed in a row. */
  private verifyRetry: NodeJS.Timeout | undefined;
  private verifyFailures = 0;

  constructor(private readonly options: IdentityComponentOptions) {
    this.signIn = readSignInState(options.home);
    this.verifier = options.settings && new SignInVerifier(options.settings);
  }

  /**
   * Reads the state and checks its stored sign-in (waiting at most `startWaitMs` for that), watches
   * identity.json, and schedules the next refresh.
   */
  async start(): Promise<void> {
    const { home } = this.options;
    this.stopped = false;
    this.stopping = new AbortController();
    // The check of the stored sign-in asks the provider: waited for a little, then left to finish in the
    // background (reload applies it and re-schedules), so a provider that does not answer never holds the start.
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([
      this.reload(),
      new Promise<void>((resolve) => {
        waited = setTimeout(resolve, this.options.startWaitMs ?? 3_000);
      }),
    ]);
    clearTimeout(waited);
    this.watch = watchFiles(home, [homePaths(home).identity], () => void this.reload(), { settleMs: 50 });
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
    clearTimeout(this.verifyRetry);
    this.watch?.close();
    await this.refreshing;
    this.listeners.clear();
  }

  /**
   * The identity for a new session, from the state in memory (no I/O). Verified only while signed in and the
   * access token has not expired: a refresh that has not succeeded by then makes it `expired`. The person is
   * the one the verified ID token names.
   */
  current(): Identity {
    const state = this.signIn;
    const claims = this.verified?.claims;
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

  /** The state as identity.json says, with the person the ID token verifiably names once it was checked. */
  state(): SignInState {
    const state = this.signIn;
    const verified = this.verified;
    return verified && verified.fingerprint === state.token_fingerprint
      ? { ...state, claims: verified.claims }
      : state;
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
    const now = Date.now();
    return (
      state.status === 'signed-in' &&
      state.expires_at !== null &&
      now < state.expires_at &&
      now < this.verifiedUntil() &&
      this.fromConfiguredIssuer(state) &&
      this.verified !== null &&
      this.verified.fingerprint === state.token_fingerprint
    );
  }

  /**
   * Until when the sign-in is known good, ms since epoch: the signed `exp` of the verified ID token, or later
   * when a refresh by this process proved the grant alive. identity.json's own expiry is no proof: after a
   * refused refresh it could be edited back to "signed-in", and would then verify nobody past this bound.
   */
  private verifiedUntil(): number {
    const exp = this.verified?.expires_at;
    if (exp === null || exp === undefined) return Number.POSITIVE_INFINITY;
    return Math.max(exp, this.grantAliveUntil ?? exp);
  }

  /**
   * True when the sign-in came from the issuer config.json names now: a sign-in left from a provider no longer
   * configured (or with sign-in no longer configured at all) verifies nobody, since nothing refreshes it.
   */
  private fromConfiguredIssuer(state: SignInState): boolean {
    const configured = this.options.settings?.issuer;
    const issuer = state.claims?.issuer;
    if (!configured || !issuer) return false;
    return sameIssuer(configured, issuer);
  }

  /**
   * Re-reads identity.json now (it changed here or in another process; the sign-in controls call it after
   * storing or forgetting a sign-in, so the next session sees it at once) and verifies the stored sign-in:
   * subscribers are told when the state changed, and the refresh is re-scheduled.
   */
  async reload(): Promise<void> {
    if ((await this.load()) && !this.refreshing) {
      this.failures = 0;
      this.scheduleFromState();
    }
  }

  /**
   * Reads identity.json, checks the sign-in it names (unless already checked), then takes it together with
   * the check's result. True when the state changed. Never throws.
   */
  private async load(): Promise<boolean> {
    const load = ++this.loads;
    const next = readSignInState(this.options.home);
    if (isDeepStrictEqual(next, this.signIn) && this.verified?.fingerprint === next.token_fingerprint) {
      return false;
    }
    const verified = await this.check(next);
    if (load !== this.loads || this.stopped) return false;
    // A sign-in that ended, or another person's: what a refresh here proved no longer holds.
    if (next.status !== 'signed-in' || verified?.claims.subject !== this.verified?.claims.subject) {
      this.grantAliveUntil = null;
    }
    this.verified = verified;
    return this.apply(next);
  }

  /**
   * The verified sign-in for `state`: the last one when it has the same fingerprint (or the state is not
   * signed in, where nothing is verified anyway), else the stored ID token checked now. A check the provider
   * does not answer is tried again with backoff; a token that does not verify is warned about, once.
   */
  private async check(state: SignInState): Promise<VerifiedSignIn | null> {
    const verifier = this.verifier;
    if (!verifier || state.status !== 'signed-in' || !state.token_fingerprint) return this.verified;
    if (this.verified?.fingerprint === state.token_fingerprint) return this.verified;
    clearTimeout(this.verifyRetry);
    try {
      const tokens = storeForState(this.options.home, state, this.options.env ?? process.env)?.read();
      if (!tokens) {
        this.warnOnce('verify', 'Sign-in: identity.json says signed in, but the token store holds no tokens');
        return null;
      }
      const verified = await verifier.verify(tokens);
      this.verifyFailures = 0;
      this.lastWarnings.verify = null;
      return verified;
    } catch (error) {
      this.warnOnce('verify', `Sign-in: ${describeError(error)}`);
      if (isTemporaryVerifyFailure(error) && !this.stopped) {
        const retry = this.options.retry ?? { firstMs: 5_000, maxMs: 300_000 };
        const delay = Math.min(retry.maxMs, retry.firstMs * 2 ** Math.min(30, this.verifyFailures++));
        this.verifyRetry = setTimeout(() => void this.reload(), delay);
        this.verifyRetry.unref();
      }
      return null;
    }
  }

  /** Takes `next` as the state; true (and subscribers told) when it differs. */
  private apply(next: SignInState): boolean {
    if (isDeepStrictEqual(next, this.signIn)) return false;
    this.signIn = next;
    const shown = this.state();
    for (const listener of this.listeners) {
      try {
        listener(shown);
      } catch (error) {
        this.options.warn(`Sign-in: a listener failed: ${describeError(error)}`);
      }
    }
    return true;
  }

  /**
   * The next refresh as the state says: when due while signed in — for the access token, or earlier for the
   * verified ID token (a refresh renews it; forced, since the access token alone is not due) — and at once
   * while expired (it may recover).
   */
  private scheduleFromState(): void {
    const state = this.signIn;
    if (state.status === 'signed-in' && state.expires_at !== null) {
      const accessDue = refreshDueAt(state.expires_at, state.changed_at);
      const bound = this.verifiedUntil();
      const idDue = Number.isFinite(bound)
        ? refreshDueAt(bound, Math.min(state.changed_at, bound))
        : accessDue;
      this.schedule(Math.min(accessDue, idDue), idDue < accessDue);
    } else if (state.status === 'expired') {
      this.schedule(Date.now());
    } else {
      this.schedule(null);
    }
  }

  private schedule(at: number | null, force = false): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (at === null || this.stopped || !this.options.settings) return;
    const delay = Math.max(0, at - Date.now());
    const wakeCheckMs = this.options.wakeCheckMs ?? 60_000;
    // Due by the wall clock (not by the timer's monotonic clock): refresh; not yet: look again later.
    this.timer = setTimeout(
      () => (Date.now() >= at ? this.refresh(force) : this.schedule(at, force)),
      Math.min(delay, wakeCheckMs),
    );
    this.timer.unref();
  }

  private refresh(force = false): void {
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
          force,
        });
      } catch (error) {
        outcome = { result: 'failed', state: this.signIn, reason: describeError(error), nextAt: null };
      }
      if (this.stopped) return;
      // The provider answered this process: the grant is alive until the access token it gave expires.
      if (outcome.result === 'refreshed' && outcome.state.expires_at !== null) {
        this.grantAliveUntil = outcome.state.expires_at;
      }
      // The file, not the outcome: another process may have changed it since (a login, a logout).
      await this.load();
      if (this.stopped) return;
      const now = readSignInState(this.options.home);
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
        this.lastWarnings.refresh = null;
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
        this.warnOnce(
          'refresh',
          `Sign-in: ${outcome.reason ?? 'the identity provider did not answer'}; retrying`,
        );
        this.schedule(at);
        return;
      }
      case 'refused':
      case 'failed':
        this.warnOnce('refresh', `Sign-in: ${outcome.reason ?? 'the refresh failed'}`);
        this.schedule(null);
        return;
      case 'signed-out':
      case 'cancelled':
        this.schedule(null);
    }
  }

  private warnOnce(loop: keyof IdentityComponent['lastWarnings'], message: string): void {
    if (message === this.lastWarnings[loop]) return;
    this.lastWarnings[loop] = message;
    this.options.warn(message);
  }
}
