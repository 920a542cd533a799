import { describe, expect, it } from 'vitest';
import { relativeTime, whoamiJson, whoamiText } from '../../proxy/cli/whoami-text.js';
import { noBrowserReason } from '../../proxy/identity/browser-opener.js';
import { audienceParameters } from '../../proxy/identity/grant-result.js';
import { signedOutState } from '../../proxy/identity/sign-in-state.js';
import { signOutLine } from '../../proxy/identity/signin.js';
import type { IdentitySettings, SignInState } from '../../proxy/identity/types.js';

const settings: IdentitySettings = {
  issuer: 'https://login.example.com',
  clientId: 'glassbox',
  scopes: ['openid', 'email'],
  groupsClaim: 'groups',
  required: false,
};
const alice = {
  issuer: 'https://login.example.com',
  subject: 'alice',
  email: 'alice@example.test',
  name: 'Alice Example',
  groups: ['engineering'],
};
const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const signedIn: SignInState = {
  status: 'signed-in',
  claims: alice,
  expires_at: NOW + 12 * 60_000,
  token_fingerprint: 'sha256:0123456789abcdef',
  store: { kind: 'file', where: '/h/tokens.json (0600)' },
  reason: null,
  changed_at: NOW,
};

describe('where no browser can open, login uses the device flow', () => {
  it('CI, SSH and a display-less Linux have no browser; macOS, Windows, WSL and X11 do', () => {
    expect(noBrowserReason({ CI: 'true', DISPLAY: ':0' }, 'linux')).toBe('CI is set');
    expect(noBrowserReason({ CI: '1' }, 'darwin')).toBe('CI is set');
    expect(noBrowserReason({ CI: 'false', DISPLAY: ':0' }, 'linux')).toBeNull();
    expect(noBrowserReason({ SSH_CONNECTION: '10.0.0.1 5555 10.0.0.2 22' }, 'darwin')).toBe(
      'this is an SSH session',
    );
    expect(noBrowserReason({ SSH_TTY: '/dev/pts/1', DISPLAY: ':0' }, 'linux')).toBe('this is an SSH session');
    expect(noBrowserReason({}, 'linux')).toMatch(/no display/);
    expect(noBrowserReason({}, 'freebsd')).toMatch(/no display/);
    expect(noBrowserReason({ DISPLAY: ':0' }, 'linux')).toBeNull();
    expect(noBrowserReason({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBeNull();
    expect(noBrowserReason({ WSL_DISTRO_NAME: 'Ubuntu' }, 'linux')).toBeNull();
    expect(noBrowserReason({}, 'darwin')).toBeNull();
    expect(noBrowserReason({}, 'win32')).toBeNull();
  });
});

describe('authorization request parameters', () => {
  it('audience goes as audience, and as resource (RFC 8707) when it is a URI', () => {
    expect(audienceParameters(settings)).toEqual({ scope: 'openid email' });
    expect(audienceParameters({ ...settings, audience: 'https://api.example.com' })).toEqual({
      scope: 'openid email',
      audience: 'https://api.example.com',
      resource: 'https://api.example.com',
    });
    expect(audienceParameters({ ...settings, audience: 'glassbox-api' })).toEqual({
      scope: 'openid email',
      audience: 'glassbox-api',
    });
  });
});

describe('whoami text', () => {
  it('relative times', () => {
    expect(relativeTime(NOW + 12 * 60_000, NOW)).toBe('in 12 min');
    expect(relativeTime(NOW - 3 * 60_000, NOW)).toBe('3 min ago');
    expect(relativeTime(NOW + 45_000, NOW)).toBe('in 45 s');
    expect(relativeTime(NOW + 125 * 60_000, NOW)).toBe('in 2 h 5 min');
  });

  it('signed in: every field, exit 0', () => {
    const { text, ok } = whoamiText(signedIn, settings, NOW);
    expect(ok).toBe(true);
    expect(text).toContain('Signed in as Alice Example <alice@example.test>\n');
    expect(text).toMatch(/subject: +alice/);
    expect(text).toMatch(/expires: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(in 12 min\)/);
    expect(text).toMatch(/tokens: +\/h\/tokens\.json \(0600\)/);
  });

  it('expired: the reason and the command, exit 1', () => {
    const expired = { ...signedIn, status: 'expired' as const, reason: 'refresh refused (invalid_grant)' };
    const { text, ok } = whoamiText(expired, settings, NOW);
    expect(ok).toBe(false);
    expect(text.split('\n')[0]).toBe(
      'Your sign-in expired (refresh refused (invalid_grant)): run `glassbox login`',
    );
  });

  it('signed out, configured or not: exit 1', () => {
    expect(whoamiText(signedOutState(NOW), settings, NOW)).toEqual({
      text: 'Not signed in: run `glassbox login` to sign in at https://login.example.com.\n',
      ok: false,
    });
    expect(whoamiText(signedOutState(NOW), undefined, NOW).text).toContain('sign-in is not configured');
  });

  it('signed in at another issuer than config.json names now: says to sign in again', () => {
    const { text, ok } = whoamiText(signedIn, { ...settings, issuer: 'https://other.example.com' }, NOW);
    expect(ok).toBe(false);
    expect(text).toContain('config.json now names the issuer https://other.example.com');
  });

  it('the JSON is the state plus the configured issuer', () => {
    expect(whoamiJson(signedIn, settings)).toEqual({ ...signedIn, issuer: 'https://login.example.com' });
    expect(whoamiJson(signedIn, undefined).issuer).toBeNull();
  });
});

describe('sign-out lines', () => {
  const base = { detail: null, issuer: 'https://login.example.com', claims: alice };
  it('say what happened at the provider', () => {
    expect(signOutLine({ ...base, revocation: 'unsupported' })).toContain('does not offer token revocation');
    expect(signOutLine({ ...base, revocation: 'nothing', claims: null, issuer: null })).toBe(
      'Not signed in: there were no tokens to forget.',
    );
  });
});
