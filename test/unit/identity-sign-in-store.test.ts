import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { withIdentityLock } from '../../proxy/identity/identity-lock.js';
import { readSignInState } from '../../proxy/identity/sign-in-state.js';
import { saveSignIn } from '../../proxy/identity/sign-in-store.js';
import { openTokenStore, tokenFiles } from '../../proxy/identity/token-store.js';
import type { TokenSet } from '../../proxy/identity/types.js';
import { tempHome } from '../helpers/engine.js';

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});
function newHome(): string {
  const home = tempHome('glassbox-save-');
  homes.push(home);
  return home;
}
function tokens(subject: string): TokenSet {
  const now = Date.now();
  return {
    issuer: 'https://idp.example.test',
    client_id: 'glassbox-cli',
    access_token: `at-${randomBytes(8).toString('hex')}`,
    refresh_token: `rt-${randomBytes(8).toString('hex')}`,
    id_token: `it-${randomBytes(8).toString('hex')}`,
    expires_at: now + 300_000,
    obtained_at: now,
    claims: { issuer: 'https://idp.example.test', subject, email: null, name: null, groups: [] },
    token_fingerprint: `sha256:${randomBytes(8).toString('hex')}`,
  };
}
const fileEnv: NodeJS.ProcessEnv = { GLASSBOX_TOKEN_STORE: 'file' };

describe('saving a sign-in', () => {
  it('waits for a refresh holding the lock, so the refresh cannot overwrite the new sign-in', async () => {
    const home = newHome();
    await saveSignIn(home, tokens('alice'), fileEnv);
    let release: () => void = () => undefined;
    let saved = false;
    // A refresh of alice's sign-in under way in another process (here: the same lock, held).
    const refresh = withIdentityLock(home, () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const saving = saveSignIn(home, tokens('bob'), fileEnv).then(() => {
      saved = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(saved).toBe(false);
    expect(readSignInState(home).claims?.subject).toBe('alice');
    release();
    await Promise.all([refresh, saving]);
    expect(readSignInState(home)).toMatchObject({ status: 'signed-in', claims: { subject: 'bob' } });
    expect(openTokenStore(home, { env: fileEnv }).read()?.claims.subject).toBe('bob');
  });

  it("forgets the previous sign-in's tokens when the new one goes to another store", async () => {
    const home = newHome();
    await saveSignIn(home, tokens('alice'), fileEnv);
    expect(existsSync(tokenFiles(home).file)).toBe(true);
    const desktop = { GLASSBOX_VAULT_KEY: randomBytes(32).toString('hex') };
    const store = await saveSignIn(home, tokens('bob'), desktop);
    expect(store.kind).toBe('sealed-file');
    expect(existsSync(tokenFiles(home).file)).toBe(false);
    expect(readSignInState(home)).toMatchObject({
      claims: { subject: 'bob' },
      store: { kind: 'sealed-file' },
    });
  });
});
