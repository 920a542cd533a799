import { CopyLine } from '../ui/CopyLine';
import { type IdentityView, LOGIN_COMMAND } from './useIdentity';

/**
 * Why the last sign-in failed — one begun in the engine from any dashboard or the tray (denied at the
 * provider, timed out), or one this page could not start (provider unreachable) — or why a sign-out from
 * this page failed; with Try again and Dismiss. Nothing while no sign-in failed.
 */
function SignInFailed({ view }: { view: IdentityView }) {
  if (!view.error) return null;
  return (
    <div className="banner banner-signin" role="alert" data-testid="sign-in-error">
      <strong>{view.error.title}</strong>
      <span>{view.error.message}</span>
      <button type="button" className="btn banner-action" onClick={view.signIn} disabled={view.busy}>
        Try again
      </button>
      <button type="button" className="btn btn-ghost" onClick={view.dismissError}>
        Dismiss
      </button>
    </div>
  );
}

/**
 * Says plainly, above everything, when the sign-in expired ("Sign in again", with the command to copy and a
 * button; recording continues, unverified) and when sign-in is required but missing (new sessions are
 * refused); and, above those, why the last sign-in from here failed. Nothing otherwise.
 */
export function SignInBanner({ view }: { view: IdentityView }) {
  if (!view.identity?.configured) return null;
  return (
    <>
      <SignInFailed view={view} />
      <SignInState view={view} />
    </>
  );
}

/**
 * The engine's reason for an expiry as the banner shows it: without its closing advice to run the sign-in
 * command, which the banner offers itself (to copy, and as a button).
 */
function shownReason(reason: string): string {
  return reason.replace(/[;,.]?\s*run `glassbox login`[^;]*$/, '').trim();
}

/** The expired and required banners of {@link SignInBanner}. */
function SignInState({ view }: { view: IdentityView }) {
  const { identity } = view;
  if (!identity?.configured) return null;
  const { state, required } = identity;
  const command = identity.hint ?? LOGIN_COMMAND;
  const action = (label: string) => (
    <button type="button" className="btn banner-action" onClick={view.signIn} disabled={view.busy}>
      {label}
    </button>
  );
  if (state.status === 'expired') {
    const issuer = state.claims?.issuer ?? identity.issuer;
    return (
      <div className="banner banner-signin" role="alert" data-testid="sign-in-again">
        <strong>Sign in again.</strong>
        <span>
          Your sign-in{issuer ? ` to ${issuer}` : ''} expired
          {state.reason ? ` (${shownReason(state.reason)})` : ''}.{' '}
          {required
            ? 'Sign-in is required here: new sessions are refused until you sign in again.'
            : 'Recording continues; new sessions are recorded as unverified until you sign in again.'}
        </span>
        <CopyLine text={command} compact />
        {action('Sign in again')}
      </div>
    );
  }
  if (required && state.status === 'signed-out') {
    return (
      <div className="banner banner-store banner-signin" role="alert" data-testid="sign-in-required">
        <strong>Sign-in required.</strong>
        <span>New sessions are refused until you sign in.</span>
        <CopyLine text={command} compact />
        {action('Sign in')}
      </div>
    );
  }
  return null;
}
