/**
 * The engine's sign-in controls for the control API (`POST /api/identity/login|logout`), the dashboard and the
 * desktop app: a browser sign-in run inside the engine process (the caller opens the URL it returns), stored
 * the same way `glassbox login` stores one, and sign-out as `glassbox logout` does it.
 */
import type * as client from 'openid-client';
import { describeError } from '../common/errors.js';
import { type BrowserSignInOptions, startBrowserSignIn } from './browser-flow.js';
import { discover } from './discovery.js';
import { IdentityError } from './errors.js';
import { type SignOutOutcome, saveSignIn, signOut } from './sign-in-store.js';
import { requireIdentitySettings, signedInLine, signOutLine } from './signin.js';
import type {
  IdentityControl,
  IdentityLoginResponse,
  IdentitySettings,
  IdentitySource,
  PendingBrowserSignIn,
  SignInFailure,
} from './types.js';

/**
 * Why a sign-in failed, as a sentence: an {@link IdentityError}'s message as it is (its `code` is not an
 * errno for {@link describeError} to prefix), anything else through describeError.
 */
function reasonOf(error: unknown): string {
  return error instanceof IdentityError ? error.message : describeError(error);
}

/** Options of {@link IdentityController}. */
export interface IdentityControllerOptions {
  /** The Glassbox home (identity.json and the token store live there). */
  home: string;
  /** config.json's `identity` section; null or undefined when sign-in is not configured. */
  settings: IdentitySettings | null | undefined;
  /** The engine's live identity (it watches identity.json, so a stored sign-in reaches it). */
  source: IdentitySource;
  /** One line per completed, failed or ended sign-in, for the engine's log (never a token). */
  log?: (line: string, level: 'info' | 'warn') => void;
  /** The environment choosing the token store (GLASSBOX_VAULT_KEY, GLASSBOX_TOKEN_STORE). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Browser sign-in options (the wait for the redirect back; default 5 min). */
  browser?: Pick<BrowserSignInOptions, 'timeoutMs'>;
  /** Discovery (default {@link discover}); the provider's metadata is fetched at each sign-in. */
  discover?: (settings: IdentitySettings) => Promise<client.Configuration>;
}

/**
 * {@link IdentityControl} over the engine's {@link IdentitySource}. One browser sign-in at a time: a second
 * `beginBrowserLogin` cancels the first (its listener closes), as does `logout` and `stop`.
 */
export class IdentityController implements IdentityControl {
  readonly settings: IdentitySettings | null;
  readonly source: IdentitySource;
  private pending: PendingBrowserSignIn | undefined;
  /** Counts begun sign-ins, so one whose discovery finished after a newer one began gives way. */
  private generation = 0;
  private readonly failureListeners = new Set<(failure: SignInFailure) => void>();

  constructor(private readonly options: IdentityControllerOptions) {
    this.settings = options.settings ?? null;
    this.source = options.source;
  }

  /**
   * Starts a browser sign-in and answers with the authorization URL; when the browser comes back the tokens
   * are stored and identity.json changes (the source then tells its subscribers). A failed or abandoned
   * sign-in is logged and changes nothing.
   * @throws IdentityError `not-configured`, `unreachable`, `not-an-issuer` (discovery), `cancelled` (a newer
   *   sign-in began while this one was starting)
   */
  async beginBrowserLogin(): Promise<IdentityLoginResponse> {
    const settings = requireIdentitySettings(this.options.home, this.settings ?? undefined);
    const generation = ++this.generation;
    this.cancelPending();
    const config = await (this.options.discover ?? discover)(settings);
    const pending = await startBrowserSignIn(config, settings, this.options.browser);
    if (generation !== this.generation) {
      pending.cancel();
      throw new IdentityError('cancelled', 'A newer sign-in was started meanwhile: use its link.');
    }
    this.pending = pending;
    pending.result.then(
      (tokens) => {
        if (this.pending !== pending) return;
        this.pending = undefined;
        saveSignIn(this.options.home, tokens, this.env())
          .then(
            async (store) => {
              if (store.warning) this.log(store.warning, 'warn');
              // Now, not when the file watch fires: the next session sees the sign-in.
              await this.source.reload?.();
              this.log(signedInLine(tokens, store), 'info');
            },
            (error: unknown) => {
              this.log(`sign-in could not be stored: ${reasonOf(error)}`, 'warn');
              this.failed({ code: 'store', message: `The sign-in could not be stored: ${reasonOf(error)}` });
            },
          )
          // A state that could not be re-read now still arrives through the file watch.
          .catch((error: unknown) =>
            this.log(`sign-in stored; reading it back failed: ${reasonOf(error)}`, 'warn'),
          );
      },
      (error: unknown) => {
        if (this.pending === pending) this.pending = undefined;
        this.log(`sign-in ended: ${reasonOf(error)}`, 'warn');
        // Cancelled on purpose (a newer sign-in, a logout, shutdown): nobody needs telling.
        if (error instanceof IdentityError && error.code === 'cancelled') return;
        const code = error instanceof IdentityError ? error.code : 'refused';
        this.failed({ code, message: reasonOf(error) });
      },
    );
    return { url: pending.url };
  }

  /** See {@link IdentityControl.onSignInFailed}. */
  onSignInFailed(listener: (failure: SignInFailure) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /**
   * Cancels a sign-in under way, revokes the refresh token where the provider allows, forgets the tokens and
   * writes identity.json (signed out). Never throws for the provider's failures (they are logged).
   */
  async logout(): Promise<void> {
    await this.signOut();
  }

  /** {@link logout} with its outcome, for callers that report it. */
  async signOut(): Promise<SignOutOutcome> {
    this.generation += 1;
    this.cancelPending();
    const outcome = await signOut(this.options.home, this.env());
    // Now, not when the file watch fires: the answer to the request and the next session see the sign-out.
    await this.source.reload?.();
    this.log(signOutLine(outcome), outcome.revocation === 'failed' ? 'warn' : 'info');
    return outcome;
  }

  /** Cancels a sign-in under way (engine shutdown). */
  stop(): void {
    this.generation += 1;
    this.cancelPending();
  }

  private cancelPending(): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.cancel();
  }

  private failed(failure: SignInFailure): void {
    for (const listener of this.failureListeners) listener(failure);
  }

  private env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  private log(line: string, level: 'info' | 'warn'): void {
    this.options.log?.(line, level);
  }
}
