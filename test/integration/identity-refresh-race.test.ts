import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFingerprint } from '../../proxy/identity/fingerprint.js';
import { refreshDueAt, refreshSignIn } from '../../proxy/identity/refresh.js';
import { readSignInState } from '../../proxy/identity/sign-in-state.js';
import { openTokenStore } from '../../proxy/identity/token-store.js';
import { waitFor } from '../helpers/cli.js';
import { tempHome } from '../helpers/engine.js';
import { signInForTest, testIdentitySettings } from '../helpers/identity-signin.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';
import { collectOutput } from '../helpers/process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RACERS = 3;

let provider: TestOidcProvider;
beforeAll(async () => {
  // 8 s access tokens: due 4 s after they are issued, which leaves a slow racer 4 s before the refreshed
  // tokens are due again.
  provider = await startOidcProvider({ ttl: { AccessToken: 8, IdToken: 8 } });
});
afterAll(async () => {
  await provider.close();
});

const refreshes = () => provider.tokenRequests.filter((grant) => grant === 'refresh_token').length;

describe('refresh races between processes', () => {
  it(`${RACERS} processes refreshing the same home at once send one refresh, end with the same tokens, and the grant survives`, async () => {
    const home = tempHome('glassbox-race-');
    const env: NodeJS.ProcessEnv = { ...process.env, GLASSBOX_TOKEN_STORE: 'file' };
    delete env.GLASSBOX_VAULT_KEY;
    try {
      const settings = testIdentitySettings(provider);
      const signedIn = await signInForTest(provider, home, 'alice', env);
      const children = Array.from({ length: RACERS }, () =>
        spawn(
          process.execPath,
          ['--import', 'tsx', 'test/helpers/identity-refresh-main.ts', home, JSON.stringify(settings)],
          { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] },
        ),
      );
      const outputs = children.map((child) => collectOutput(child));
      const stdout = children.map(() => '');
      children.forEach((child, index) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          stdout[index] += chunk.toString();
        });
      });
      await waitFor(() => stdout.every((text) => text.includes('READY')), 60_000, 'every racer to be ready');
      // The tokens must be due, so that each racer would refresh on its own.
      const dueAt = refreshDueAt(signedIn.expires_at, signedIn.obtained_at);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt - Date.now()) + 100));
      const before = refreshes();
      for (const child of children) child.stdin!.write('go\n');
      const done = await Promise.all(outputs);

      for (const output of done) expect(output.code, output.stderr).toBe(0);
      const results = done.map((output) => /DONE (\S+) (\S+)/.exec(output.stdout));
      expect(results.every(Boolean), done.map((o) => o.stdout + o.stderr).join('\n')).toBe(true);
      expect(refreshes() - before).toBe(1);
      const kinds = results.map((match) => match![1]).sort();
      expect(kinds.filter((kind) => kind === 'refreshed')).toHaveLength(1);
      expect(kinds.filter((kind) => kind === 'adopted' || kind === 'not-due')).toHaveLength(RACERS - 1);

      const stored = openTokenStore(home, { env, kind: 'file' }).read()!;
      expect(stored.refresh_token).not.toBe(signedIn.refresh_token);
      const fingerprints = new Set(results.map((match) => match![2]));
      expect([...fingerprints]).toEqual([tokenFingerprint(stored.refresh_token!)]);
      expect(readSignInState(home)).toMatchObject({ status: 'signed-in', expires_at: stored.expires_at });

      // The provider did not see the rotated-out token again (which would have revoked the grant).
      const again = await refreshSignIn({ home, settings, env, force: true });
      expect(again).toMatchObject({ result: 'refreshed', state: { status: 'signed-in' } });
      expect(refreshes() - before).toBe(2);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);
});
