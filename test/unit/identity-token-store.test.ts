import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { homePaths } from '../../proxy/config.js';
import { IdentityError } from '../../proxy/identity/errors.js';
import { signedInState, signedOutState } from '../../proxy/identity/sign-in-state.js';
import { openTokenStore, storeForState } from '../../proxy/identity/token-store.js';
import type { TokenSet } from '../../proxy/identity/types.js';

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});
function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'glassbox-tokens-'));
  homes.push(home);
  return home;
}

/** A token set with random token values (the store never looks inside them). */
function tokens(): TokenSet {
  const now = Date.now();
  return {
    issuer: 'https://idp.example.test',
    client_id: 'glassbox-cli',
    access_token: `at-${randomBytes(16).toString('hex')}`,
    refresh_token: `rt-${randomBytes(16).toString('hex')}`,
    id_token: `it-${randomBytes(16).toString('hex')}`,
    expires_at: now + 300_000,
    obtained_at: now,
    claims: {
      issuer: 'https://idp.example.test',
      subject: 'alice',
      email: null,
      name: 'Alice',
      groups: ['g'],
    },
    token_fingerprint: 'sha256:0123456789abcdef',
  };
}

const vaultKey = () => randomBytes(32).toString('hex');

/** The IdentityError `fn` throws (fails the test when it throws something else or nothing). */
function identityError(fn: () => unknown): IdentityError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(IdentityError);
    return error as IdentityError;
  }
  throw new Error('expected an IdentityError');
}

describe('token store: which one', () => {
  it("seals the tokens with the desktop app's key: not readable as JSON, 0600, opened only with that key", () => {
    const home = newHome();
    const key = vaultKey();
    const store = openTokenStore(home, { env: { GLASSBOX_VAULT_KEY: key } });
    const set = tokens();
    store.write(set);
    expect(store.kind).toBe('sealed-file');
    const file = `${homePaths(home).tokens}.sealed`;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    for (const secret of [set.access_token, set.refresh_token, set.id_token, 'alice']) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.parse(text)).not.toHaveProperty('access_token');
    expect(existsSync(homePaths(home).tokens)).toBe(false);
    expect(openTokenStore(home, { env: { GLASSBOX_VAULT_KEY: key } }).read()).toEqual(set);

    const wrongKey = identityError(() =>
      openTokenStore(home, { env: { GLASSBOX_VAULT_KEY: vaultKey() } }).read(),
    );
    expect(wrongKey.code).toBe('store');
    expect(wrongKey.message).toMatch(/cannot be opened with the desktop app's key.*glassbox login/);
    store.clear();
    expect(existsSync(file)).toBe(false);
    expect(store.read()).toBeNull();
  });

  it('GLASSBOX_TOKEN_STORE=file keeps a 0600 tokens.json without a warning, even with a vault key', () => {
    const home = newHome();
    const store = openTokenStore(home, {
      env: { GLASSBOX_TOKEN_STORE: 'file', GLASSBOX_VAULT_KEY: vaultKey() },
    });
    expect(store.kind).toBe('file');
    expect(store.warning).toBeNull();
    const set = tokens();
    store.write(set);
    expect(statSync(homePaths(home).tokens).mode & 0o777).toBe(0o600);
    expect(store.where).toBe(`${homePaths(home).tokens} (0600)`);
    expect(openTokenStore(home, { env: {}, kind: 'file' }).read()).toEqual(set);
  });

  it('without a key uses the OS keychain where one answers, else the 0600 file with a one-line warning', () => {
    // This machine has no Secret Service (no D-Bus session): the pinned keychain fails and the file is used.
    // On a machine with one, the keychain entry must round-trip.
    const home = newHome();
    const store = openTokenStore(home, { env: {} });
    const set = tokens();
    if (store.kind === 'keychain') {
      store.write(set);
      expect(store.read()).toEqual(set);
      store.clear();
      expect(store.read()).toBeNull();
      return;
    }
    expect(store.kind).toBe('file');
    expect(store.warning).toMatch(
      /^No OS keychain \(Secret Service: Platform failure: DBus error: .+\); tokens are kept in .+tokens\.json, readable only by you \(0600\)$/,
    );
    expect(store.warning).not.toContain('\n');
    store.write(set);
    expect(statSync(homePaths(home).tokens).mode & 0o777).toBe(0o600);
  });

  it('says why when GLASSBOX_TOKEN_STORE forces a keychain that cannot be used, or holds a bad value', () => {
    const home = newHome();
    let keychain: ReturnType<typeof openTokenStore> | undefined;
    try {
      keychain = openTokenStore(home, { env: { GLASSBOX_TOKEN_STORE: 'keychain' } });
    } catch (error) {
      expect(error).toBeInstanceOf(IdentityError);
      expect((error as IdentityError).message).toMatch(
        /kept in the OS keychain \(Secret Service\), which cannot be used here \(Platform failure: DBus error: .+\)\. .*GLASSBOX_TOKEN_STORE=file/,
      );
    }
    if (keychain) expect(keychain.kind).toBe('keychain'); // a machine with a Secret Service
    const bad = identityError(() => openTokenStore(home, { env: { GLASSBOX_TOKEN_STORE: 'vault' } }));
    expect(bad.message).toBe('GLASSBOX_TOKEN_STORE must be "file" or "keychain", not "vault"');
    const badKey = identityError(() => openTokenStore(home, { env: { GLASSBOX_VAULT_KEY: 'abc' } }));
    expect(badKey.code).toBe('store');
    expect(badKey.message).toMatch(/64 hex/);
  });
});

describe('token store: readers use the store the sign-in state names', () => {
  it('opens a file store for a file state even when the reader has the desktop key', () => {
    const home = newHome();
    const writer = openTokenStore(home, { env: { GLASSBOX_TOKEN_STORE: 'file' } });
    const set = tokens();
    writer.write(set);
    const state = signedInState(set, writer);
    expect(storeForState(home, state, { GLASSBOX_VAULT_KEY: vaultKey() })?.read()).toEqual(set);
    expect(storeForState(home, signedOutState(), {})).toBeNull();
  });

  it('tells a terminal without the desktop key that the tokens are sealed by the desktop app', () => {
    const home = newHome();
    const writer = openTokenStore(home, { env: { GLASSBOX_VAULT_KEY: vaultKey() } });
    const set = tokens();
    writer.write(set);
    const error = identityError(() => storeForState(home, signedInState(set, writer), {}));
    expect(error.code).toBe('store');
    expect(error.message).toMatch(
      /signed in through the desktop app.*Use the desktop app, or run `glassbox login`/,
    );
  });
});

describe('token store: damage', () => {
  it.each([
    ['not JSON', '{"access_token": "abc'],
    ['another shape', '{"hello": "world"}'],
    ['empty', ''],
  ])('a damaged tokens.json (%s) is an IdentityError that says to sign in again', (_name, text) => {
    const home = newHome();
    writeFileSync(homePaths(home).tokens, text, { mode: 0o600 });
    const error = identityError(() => openTokenStore(home, { env: { GLASSBOX_TOKEN_STORE: 'file' } }).read());
    expect(error.code).toBe('store');
    expect(error.message).toMatch(
      /tokens\.json \(0600\) are damaged .*Run `glassbox login` to sign in again\./,
    );
    expect(error.message).not.toContain('abc');
  });

  it('a damaged sealed file is an IdentityError too', () => {
    const home = newHome();
    writeFileSync(`${homePaths(home).tokens}.sealed`, '{"v":1,"iv":"x"', { mode: 0o600 });
    const error = identityError(() =>
      openTokenStore(home, { env: { GLASSBOX_VAULT_KEY: vaultKey() } }).read(),
    );
    expect(error.code).toBe('store');
    expect(error.message).toMatch(/glassbox login/);
  });
});
