/**
 * MINIMAL (contract stage): the engine's live identity, read from identity.json when it changes. The
 * token-store engineer adds the refresh timer (refresh before expiry, `expired` on failure) and
 * `beginBrowserLogin`/`logout`, keeping the constructor and the {@link IdentitySource} it implements.
 */

import { type FileWatch, watchFiles } from '../common/file-watch.js';
import { homePaths } from '../config.js';
import type { Identity } from '../store/types.js';
import { localIdentity } from './local.js';
import { readSignInState } from './sign-in-state.js';
import type { IdentitySettings, IdentitySource, SignInState } from './types.js';

/** Options of {@link IdentityComponent}. */
export interface IdentityComponentOptions {
  home: string;
  /** config.json's `identity` section; undefined when sign-in is not configured. */
  settings: IdentitySettings | undefined;
  /** One-line warnings for the engine's stderr (never a token). */
  warn: (message: string) => void;
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

  constructor(private readonly options: IdentityComponentOptions) {
    this.signIn = readSignInState(options.home);
  }

  /** Reads the state and watches identity.json, so a `glassbox login` elsewhere applies to the next session. */
  async start(): Promise<void> {
    const { home } = this.options;
    this.reload();
    this.watch = watchFiles(home, [homePaths(home).identity], () => this.reload(), { settleMs: 50 });
  }

  async stop(): Promise<void> {
    this.watch?.close();
    this.listeners.clear();
  }

  current(): Identity {
    const state = this.state();
    const claims = state.claims;
    if (state.status === 'signed-in' && claims) {
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
    return { ...this.os, identity_status: state.status === 'expired' ? 'expired' : 'signed-out' };
  }

  state(): SignInState {
    return this.signIn;
  }

  refusal(): string | null {
    if (!this.options.settings?.required) return null;
    return this.signIn.status === 'signed-in' ? null : SIGN_IN_REQUIRED;
  }

  subscribe(listener: (state: SignInState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads identity.json now; subscribers are told when the state changed (see {@link IdentitySource}). */
  reload(): void {
    const next = readSignInState(this.options.home);
    if (JSON.stringify(next) === JSON.stringify(this.signIn)) return;
    this.signIn = next;
    for (const listener of this.listeners) listener(next);
  }
}
