import type { IdentityResponse, SignInState } from '../../../proxy/identity/types';
import type { IdentityView } from './useIdentity';

/** "Alice Example · alice@example.test" (or whichever of name, email, subject the token carried). */
function whoLine(claims: NonNullable<SignInState['claims']>): string {
  const parts = [claims.name, claims.email].filter((part): part is string => Boolean(part));
  return parts.length > 0 ? parts.join(' · ') : claims.subject;
}

/** Where the tokens live, saying so when that is not a keyring. */
function tokensLine(store: SignInState['store']): string | null {
  if (!store) return null;
  return `Tokens: ${store.where}${store.kind === 'file' ? ' — not protected by a keyring' : ''}`;
}

/** The signed-in person's tooltip: issuer, subject, groups, where the tokens live. */
function signedInTitle(identity: IdentityResponse): string {
  const { claims, store } = identity.state;
  return [
    `Signed in with ${claims?.issuer ?? identity.issuer ?? 'the identity provider'}`,
    claims ? `Subject: ${claims.subject}` : null,
    `Groups: ${claims?.groups.length ? claims.groups.join(', ') : 'none'}`,
    tokensLine(store),
  ]
    .filter((line) => line !== null)
    .join('\n');
}

/**
 * The top bar's sign-in: who is signed in (with a verified mark and Sign out), "Not signed in" with Sign in,
 * or "Sign-in expired" with Sign in again. Nothing when sign-in is not configured (or the engine has none).
 * Why a sign-in failed is a banner (SignInBanner.tsx): a sentence would not fit in the bar.
 */
export function IdentityHeader({ view }: { view: IdentityView }) {
  const { identity, busy } = view;
  if (!identity?.configured) return null;
  const { state } = identity;
  return (
    <span className="identity-bar small">
      {state.status === 'signed-in' && state.claims ? (
        <>
          <span className="identity-me" data-testid="signed-in-as" title={signedInTitle(identity)}>
            <i className="verified-mark" role="img" aria-label="verified">
              ✓
            </i>
            {whoLine(state.claims)}
          </span>
          <button type="button" className="btn btn-ghost" onClick={view.signOut} disabled={busy}>
            Sign out
          </button>
        </>
      ) : state.status === 'expired' ? (
        <>
          <span className="identity-me warn-text" data-testid="sign-in-expired" title={state.reason ?? ''}>
            <i className="dot" />
            Sign-in expired
          </span>
          <button type="button" className="btn" onClick={view.signIn} disabled={busy}>
            Sign in again
          </button>
        </>
      ) : (
        <>
          <span className="identity-me faint" data-testid="not-signed-in">
            Not signed in
          </span>
          <button type="button" className="btn" onClick={view.signIn} disabled={busy}>
            Sign in
          </button>
        </>
      )}
      {view.openedUrl && state.status !== 'signed-in' ? (
        <a href={view.openedUrl} target="_blank" rel="noopener noreferrer">
          Open the sign-in page
        </a>
      ) : null}
    </span>
  );
}
