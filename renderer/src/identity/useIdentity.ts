import { useCallback, useEffect, useState } from 'react';
import type { GlassboxDesktopApi } from '../../../main/ipc-contract';
import type { LiveMessage } from '../../../proxy/api/types';
import type { IdentityResponse } from '../../../proxy/identity/types';
import type { ApiClient } from '../api/client';
import { useLiveMessages } from '../api/live';

/** The command that signs in from a terminal, when the engine gives no hint. */
export const LOGIN_COMMAND = 'glassbox login';

/** A sign-in or sign-out that did not happen: a short title ("Sign-in failed.") and the sentence why. */
export interface IdentityFailure {
  title: string;
  message: string;
}

/** The sign-in as the header and the banner show it, and what they can do about it. */
export interface IdentityView {
  /** GET /api/identity's answer; null until it arrives, and when the engine has no sign-in (404). */
  identity: IdentityResponse | null;
  /** Starts a browser sign-in (the engine begins it; the provider's page opens). Never throws. */
  signIn: () => void;
  /** Signs out (the engine forgets the tokens). Never throws. */
  signOut: () => void;
  /** The sign-in page last opened in a tab (a link to it stays, should a pop-up blocker eat the tab). */
  openedUrl: string | null;
  busy: boolean;
  /** Forgets {@link error} (the person read it). */
  dismissError: () => void;
  /** Why the last sign-in or sign-out did not happen (cleared by the next try or a sign-in). */
  error: IdentityFailure | null;
}

/** Only web pages are opened as sign-in pages (never `javascript:` or `file:`). */
function isWebUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * Reads GET /api/identity when mounted and again whenever the live feed (re)connects, and applies each live
 * `identity` message at once. Signing in goes through the desktop app when there is one (it opens the page
 * in the user's browser, as the tray does), else POST /api/identity/login and a new tab.
 */
export function useIdentity(client: ApiClient, desktop?: GlassboxDesktopApi): IdentityView {
  const [identity, setIdentity] = useState<IdentityResponse | null>(null);
  const [openedUrl, setOpenedUrl] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IdentityFailure | null>(null);
  const load = useCallback(() => {
    client.identity().then(setIdentity, () => undefined);
  }, [client]);
  useEffect(load, [load]);
  useLiveMessages((message: LiveMessage) => {
    if (message.type === 'hello') load();
    // A sign-in begun here (or in the tray) ended without signing in: say why, and drop the dead link.
    if (message.type === 'sign-in-failed') {
      setOpenedUrl(null);
      setError({ title: 'Sign-in failed.', message: message.failure.message });
      return;
    }
    if (message.type !== 'identity') return;
    if (message.state.status === 'signed-in') setError(null);
    if (message.state.status === 'signed-in') setOpenedUrl(null);
    setIdentity((known) => {
      if (!known) return known;
      const hint = message.state.status === 'signed-in' ? null : (known.hint ?? LOGIN_COMMAND);
      return { ...known, state: message.state, hint };
    });
  });
  const signIn = useCallback(() => {
    setBusy(true);
    setError(null);
    const started = desktop
      ? desktop.signIn().then((result) => {
          if (!result.ok) setError({ title: 'Sign-in could not start.', message: result.message });
        })
      : client.identityLogin().then(({ url }) => {
          if (!isWebUrl(url)) throw new Error(`the engine answered ${url}, not a web page`);
          setOpenedUrl(url);
          window.open(url, '_blank', 'noopener,noreferrer');
        });
    started
      .catch((e: unknown) => setError({ title: 'Sign-in could not start.', message: (e as Error).message }))
      .finally(() => setBusy(false));
  }, [client, desktop]);
  const signOut = useCallback(() => {
    setBusy(true);
    setError(null);
    client
      .identityLogout()
      .then(load)
      .catch((e: unknown) => setError({ title: 'Sign-out failed.', message: (e as Error).message }))
      .finally(() => setBusy(false));
  }, [client, load]);
  const dismissError = useCallback(() => setError(null), []);
  return { identity, signIn, signOut, openedUrl, busy, error, dismissError };
}
