import { describe, expect, it } from 'vitest';
import { NotificationDecider } from '../../../main/notifications.js';
import { isSignInUrl, traySignIn } from '../../../main/sign-in.js';
import { type TrayInputs, trayMenu, trayTooltip } from '../../../main/tray-model.js';
import type { IdentityResponse, SignInState } from '../../../proxy/identity/types.js';

const alice = {
  issuer: 'https://login.example.test',
  subject: 'u-alice',
  email: 'alice@example.test',
  name: 'Alice Example',
  groups: ['engineering', 'auditors'],
};

function state(status: SignInState['status'], extra: Partial<SignInState> = {}): SignInState {
  return {
    status,
    claims: status === 'signed-out' ? null : alice,
    expires_at: status === 'signed-out' ? null : 1_000,
    token_fingerprint: status === 'signed-out' ? null : 'sha256:0123456789abcdef',
    store: status === 'signed-out' ? null : { kind: 'sealed-file', where: '/home/a/.glassbox/tokens.sealed' },
    reason: status === 'expired' ? 'the provider refused the refresh token (invalid_grant)' : null,
    changed_at: 1,
    ...extra,
  };
}

function identity(status: SignInState['status'], extra: Partial<IdentityResponse> = {}): IdentityResponse {
  return {
    configured: true,
    issuer: alice.issuer,
    required: false,
    state: state(status),
    hint: status === 'signed-in' ? null : 'glassbox login',
    ...extra,
  };
}

const base: TrayInputs = {
  engine: 'running',
  recording: true,
  sessionsToday: 3,
  pendingApprovals: 0,
  approvals: [],
  startAtLogin: false,
  claudeConfigured: false,
};

const withIdentity = (response: IdentityResponse | undefined): TrayInputs => {
  const signIn = traySignIn(response);
  return signIn ? { ...base, signIn } : base;
};
const labels = (inputs: TrayInputs) => trayMenu(inputs).map((item) => ('label' in item ? item.label : '—'));
const item = (inputs: TrayInputs, label: string) =>
  trayMenu(inputs).find((entry) => 'label' in entry && entry.label === label);

describe('tray sign-in entries', () => {
  it('shows nothing about sign-in when it is not configured or the engine has no sign-in', () => {
    expect(traySignIn(undefined)).toBeUndefined();
    expect(traySignIn(identity('signed-out', { configured: false, issuer: null }))).toBeUndefined();
    expect(labels(withIdentity(undefined)).some((label) => /sign/i.test(label))).toBe(false);
  });

  it('offers "Sign in…" while signed out', () => {
    const inputs = withIdentity(identity('signed-out'));
    expect(labels(inputs).slice(0, 4)).toEqual(['Recording', 'Open Glassbox', '—', 'Sign in…']);
    expect(item(inputs, 'Sign in…')).toMatchObject({ type: 'action', id: 'sign-in', enabled: true });
    expect(labels(inputs)).not.toContain('Sign out');
    // Not while the engine is down: it is the engine that starts the browser sign-in.
    expect(item({ ...inputs, engine: 'restarting' }, 'Sign in…')).toMatchObject({ enabled: false });
  });

  it('says who is signed in (a disabled label), where the tokens live, and offers "Sign out"', () => {
    const inputs = withIdentity(identity('signed-in'));
    expect(item(inputs, 'Signed in as Alice Example')).toEqual({
      type: 'info',
      label: 'Signed in as Alice Example',
    });
    expect(labels(inputs)).toContain('Tokens: /home/a/.glassbox/tokens.sealed');
    expect(item(inputs, 'Sign out')).toMatchObject({ type: 'action', id: 'sign-out', enabled: true });
    expect(labels(inputs)).not.toContain('Sign in…');
    // No name in the token: the email, else the subject.
    const noName = identity('signed-in', {
      state: state('signed-in', { claims: { ...alice, name: null } }),
    });
    expect(labels(withIdentity(noName))).toContain('Signed in as alice@example.test');
  });

  it('asks to sign in again when the sign-in expired, with the command, and says so in the tooltip', () => {
    const inputs = withIdentity(identity('expired'));
    expect(item(inputs, 'Sign in again…')).toMatchObject({ type: 'action', id: 'sign-in', enabled: true });
    expect(labels(inputs)).toContain('Sign-in expired: sessions are recorded unverified');
    expect(labels(inputs)).toContain('Or run: glassbox login');
    expect(labels(inputs)).not.toContain('Sign out');
    expect(trayTooltip(inputs)).toBe('Glassbox: recording — sign-in expired: sign in again (glassbox login)');
    expect(trayTooltip(withIdentity(identity('signed-in')))).toBe('Glassbox: recording');
  });

  it('opens only https or loopback http sign-in pages', () => {
    expect(isSignInUrl('https://login.example.test/authorize?x=1')).toBe(true);
    expect(isSignInUrl('http://127.0.0.1:9999/auth')).toBe(true);
    expect(isSignInUrl('http://localhost:9999/auth')).toBe(true);
    expect(isSignInUrl('http://[::1]:9999/auth')).toBe(true);
    expect(isSignInUrl('http://login.example.test/auth')).toBe(false);
    expect(isSignInUrl('file:///etc/passwd')).toBe(false);
    expect(isSignInUrl('javascript:alert(1)')).toBe(false);
  });
});

describe('the sign-in expiry notification', () => {
  const decider = () =>
    new NotificationDecider({ seen: { load: () => [], save: () => undefined }, doNotDisturb: () => false });
  const signal = (status: SignInState['status']) =>
    ({ type: 'sign-in', status, issuer: alice.issuer, reason: state(status).reason }) as const;

  it('notifies exactly once when the sign-in turns expired, and again only after it changed back', () => {
    const notifications = decider();
    expect(notifications.decide(signal('signed-in'))).toBeUndefined();
    const first = notifications.decide(signal('expired'));
    expect(first).toMatchObject({ key: 'sign-in:expired', title: 'Glassbox: sign in again' });
    expect(first!.body).toContain('login.example.test');
    expect(first!.body).toContain('invalid_grant');
    expect(first!.body).toContain('glassbox login');
    // The same state again (a re-read after the feed reconnected, another live message): nothing.
    expect(notifications.decide(signal('expired'))).toBeUndefined();
    expect(notifications.decide(signal('expired'))).toBeUndefined();
    expect(notifications.decide(signal('signed-in'))).toBeUndefined();
    expect(notifications.decide(signal('expired'))).toMatchObject({ key: 'sign-in:expired' });
  });

  it('counts an expiry during do-not-disturb as handled', () => {
    let quiet = true;
    const notifications = new NotificationDecider({
      seen: { load: () => [], save: () => undefined },
      doNotDisturb: () => quiet,
    });
    expect(notifications.decide(signal('expired'))).toBeUndefined();
    quiet = false;
    expect(notifications.decide(signal('expired'))).toBeUndefined();
  });
});
