/**
 * What `glassbox whoami` prints: the sign-in state of a home as lines for people, and as JSON (the
 * {@link SignInState} plus the configured issuer; never a token).
 */
import { sameIssuer } from '../identity/settings.js';
import { personText } from '../identity/signin.js';
import type { IdentitySettings, SignInState } from '../identity/types.js';

/** `whoami --json`: the state and the issuer config.json names (null when sign-in is not configured). */
export interface WhoamiJson extends SignInState {
  issuer: string | null;
}

/** "in 12 min", "3 min ago", "in 45 s", "in 2 h 5 min": `at` (ms since epoch) relative to `now`. */
export function relativeTime(at: number, now: number): string {
  const s = Math.round(Math.abs(at - now) / 1000);
  const amount =
    s < 60
      ? `${s} s`
      : s < 3600
        ? `${Math.round(s / 60)} min`
        : `${Math.floor(s / 3600)} h${Math.round((s % 3600) / 60) ? ` ${Math.round((s % 3600) / 60)} min` : ''}`;
  return at >= now ? `in ${amount}` : `${amount} ago`;
}

/** ms since epoch as local time, `2026-12-06 14:03:12`. */
export function localTime(at: number): string {
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
  );
}

/**
 * The lines `whoami` prints for `state` (each ends with a newline) and whether the sign-in is usable
 * (exit code 0) or not (signed out, expired: exit code 1).
 */
export function whoamiText(
  state: SignInState,
  settings: IdentitySettings | undefined,
  now = Date.now(),
): { text: string; ok: boolean } {
  if (state.status === 'signed-out' || !state.claims) {
    const how = settings
      ? `run \`glassbox login\` to sign in at ${settings.issuer}`
      : 'sign-in is not configured (add an "identity" section to config.json; `glassbox login` shows how)';
    return { text: `Not signed in: ${how}.\n`, ok: false };
  }
  const c = state.claims;
  const head =
    state.status === 'expired'
      ? `Your sign-in expired (${state.reason ?? 'the tokens could not be refreshed'}): run \`glassbox login\``
      : `Signed in as ${personText(c)}`;
  const rows: [string, string][] = [
    ['issuer', c.issuer],
    ['subject', c.subject],
    ['email', c.email ?? '—'],
    ['name', c.name ?? '—'],
    ['groups', c.groups.length ? c.groups.join(', ') : '(none)'],
    [
      'expires',
      state.expires_at === null
        ? '—'
        : `${localTime(state.expires_at)} (${relativeTime(state.expires_at, now)})` +
          (state.status === 'signed-in' && state.expires_at < now
            ? '; renewed with the refresh token when next needed'
            : ''),
    ],
    ['tokens', state.store?.where ?? '—'],
    ['status', state.status.replace('-', ' ')],
  ];
  const lines = [head, ...rows.map(([k, v]) => `  ${`${k}:`.padEnd(9)} ${v}`)];
  let ok = state.status === 'signed-in';
  if (settings && !sameIssuer(settings.issuer, c.issuer)) {
    lines.push(
      `config.json now names the issuer ${settings.issuer}, not the one you signed in at: run \`glassbox login\`.`,
    );
    ok = false;
  }
  return { text: `${lines.join('\n')}\n`, ok };
}

/** `whoami --json` for `state`: the state plus the configured issuer. */
export function whoamiJson(state: SignInState, settings: IdentitySettings | undefined): WhoamiJson {
  return { ...state, issuer: settings?.issuer ?? null };
}
