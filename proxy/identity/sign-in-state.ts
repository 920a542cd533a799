/**
 * The non-secret sign-in state, `$GLASSBOX_HOME/identity.json` (0600): who is signed in, until when, and
 * which store holds the tokens. Written by whoever changes the sign-in (login, logout, a refresh, a failed
 * refresh); read by `whoami`, and watched by the running engine so a change applies to its next session.
 * It never holds a token.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { homePaths } from '../config.js';
import type { SignInState, TokenSet, TokenStore } from './types.js';

const ClaimsSchema = z.object({
  issuer: z.string(),
  subject: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  groups: z.array(z.string()),
});

const StateSchema = z.object({
  status: z.enum(['signed-out', 'signed-in', 'expired']),
  claims: ClaimsSchema.nullable(),
  expires_at: z.number().nullable(),
  token_fingerprint: z.string().nullable(),
  store: z.object({ kind: z.enum(['keychain', 'sealed-file', 'file']), where: z.string() }).nullable(),
  reason: z.string().nullable(),
  changed_at: z.number(),
});

/** The state of a home nobody signed in to. */
export function signedOutState(now = Date.now()): SignInState {
  return {
    status: 'signed-out',
    claims: null,
    expires_at: null,
    token_fingerprint: null,
    store: null,
    reason: null,
    changed_at: now,
  };
}

/** The state after a sign-in or a refresh that stored `tokens` in `store`. */
export function signedInState(tokens: TokenSet, store: Pick<TokenStore, 'kind' | 'where'>): SignInState {
  return {
    status: 'signed-in',
    claims: tokens.claims,
    expires_at: tokens.expires_at,
    token_fingerprint: tokens.token_fingerprint,
    store: { kind: store.kind, where: store.where },
    reason: null,
    changed_at: Date.now(),
  };
}

/** `previous` marked expired for `reason` (the person is kept, so the dashboard can say who should sign in). */
export function expiredState(previous: SignInState, reason: string): SignInState {
  return { ...previous, status: 'expired', reason, changed_at: Date.now() };
}

/**
 * Reads the state of `home`. A missing file means signed out; a damaged one too (it is rewritten at the next
 * sign-in), so a bad file never stops the engine.
 */
export function readSignInState(home: string): SignInState {
  const file = homePaths(home).identity;
  if (!existsSync(file)) return signedOutState(0);
  try {
    const parsed = StateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : signedOutState(0);
  } catch {
    return signedOutState(0);
  }
}

/** Writes the state of `home` atomically (temporary file, then rename), mode 0600. */
export function writeSignInState(home: string, state: SignInState): void {
  const file = homePaths(home).identity;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}
