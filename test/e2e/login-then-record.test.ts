/**
 * Issue 18's first test end to end: `glassbox login` (the real bin) signs alice in through the provider's real
 * login and consent pages in Chromium; then the real `claude` CLI and psql, through the engine's proxies, are
 * recorded as alice — verified, with her groups — in `glassbox sessions --json` and `glassbox show`; and no
 * token is anywhere under $GLASSBOX_HOME (database, WAL, journal, identity.json) outside the token store.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileVault } from '../../proxy/identity/vault.js';
import { addConnection } from '../../proxy/postgres/connections.js';
import type { Session } from '../../proxy/store/types.js';
import { runClaude } from '../helpers/claude-cli.js';
import { runCliAsync } from '../helpers/cli.js';
import { startTestEngine, type TestEngine, tempHome } from '../helpers/engine.js';
import { printedAuthorizationUrl, startLogin, writeIdentityConfig } from '../helpers/login-cli.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';
import { freePort } from '../helpers/pg-proxy.js';
import { type PgServer, startPostgres } from '../helpers/postgres.js';
import { collectOutput } from '../helpers/process.js';
import { launchChromium } from './browser.js';

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** The tokens the file store holds now (access, refresh, ID). */
function storedTokens(home: string): string[] {
  const tokens = JSON.parse(readFileSync(join(home, 'tokens.json'), 'utf8')) as Record<string, unknown>;
  return [tokens.access_token, tokens.refresh_token, tokens.id_token].filter(
    (t): t is string => typeof t === 'string' && t.length > 0,
  );
}

describe('glassbox login, then a Claude session and a PostgreSQL session recorded as the verified person', () => {
  let op: TestOidcProvider;
  let browser: Browser;
  let mock: MockAnthropic;
  let pg: PgServer;
  let test: TestEngine | undefined;
  const home = tempHome('glassbox-login-record-');

  beforeAll(async () => {
    [op, browser, mock, pg] = await Promise.all([
      startOidcProvider(),
      launchChromium(),
      MockAnthropic.start(),
      startPostgres({ auth: 'scram-sha-256' }),
    ]);
  });
  afterAll(async () => {
    await test?.cleanup();
    await Promise.all([browser?.close(), op?.close(), mock?.stop(), pg?.stop()]);
  });

  it('signs in in the browser, records both sessions as alice, and keeps every token in the token store', async () => {
    writeIdentityConfig(home, op);
    const upstream = `postgres://${pg.user}:${pg.password}@127.0.0.1:${pg.port}/${pg.database}`;
    const connection = addConnection(home, new FileVault(join(home, 'vault.json')), 'shop', upstream, {
      listen: await freePort(),
      upstreamTls: 'disable',
    });
    const env = { GLASSBOX_TOKEN_STORE: 'file' };

    // 1. glassbox login: the provider's own pages, filled in by Chromium.
    const login = startLogin(home, ['--no-open'], env);
    const context = await browser.newContext();
    await context.route(/fonts\.googleapis\.com|fonts\.gstatic\.com/, (route) => route.abort());
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(await printedAuthorizationUrl(login));
    await page.locator('input[name="login"]').fill('alice');
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').first().click();
    await page.getByRole('heading', { name: 'Authorize' }).waitFor();
    await page.locator('button[type="submit"]').first().click();
    await page.getByText('You may close this tab').waitFor();
    await context.close();
    expect(await login.exited).toBe(0);
    const signedIn = storedTokens(home);

    // 2. The engine, and a real Claude Code session and a psql session through it.
    // The engine reads the tokens from the store identity.json names (the file, here).
    test = await startTestEngine(mock.url, () => undefined, home);
    const claude = await runClaude(test.engine.addresses.anthropicUrl, 'say hello');
    expect(claude.code, claude.stderr).toBe(0);
    const url = new URL(connection.url);
    url.searchParams.set('application_name', 'login-e2e-psql');
    const psql = await collectOutput(
      spawn('/usr/bin/psql', ['-X', '-w', '-v', 'ON_ERROR_STOP=1', '-d', url.toString(), '-c', 'SELECT 42'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PGCONNECT_TIMEOUT: '20' },
      }),
    );
    expect(psql.code, psql.stderr).toBe(0);

    // 3. Both carry alice's verified identity, in sessions --json and show.
    const listed = await runCliAsync(home, ['sessions', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const sessions = JSON.parse(listed.stdout) as Session[];
    const anthropic = sessions.find((s) => s.kind === 'anthropic');
    const postgres = sessions.find((s) => s.kind === 'postgres' && s.client === 'login-e2e-psql');
    const alice = {
      verified: true,
      identity_status: 'verified',
      issuer: op.issuer,
      subject: 'alice',
      email: 'alice@example.test',
      name: 'Alice Example',
      groups: ['engineering', 'auditors'],
      token_fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{16}$/),
    };
    expect(anthropic?.identity).toMatchObject(alice);
    expect(postgres?.identity).toMatchObject(alice);
    const shown = await runCliAsync(home, ['show', postgres?.id ?? 'none'], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/✓ verified Alice Example <alice@example\.test>/);
    expect(shown.stdout).toContain('engineering, auditors');

    // 4. No token anywhere under the home but in the token store (0600): database, WAL, journal, state.
    expect(statSync(join(home, 'tokens.json')).mode & 0o777).toBe(0o600);
    const secrets = [...new Set([...signedIn, ...storedTokens(home)])];
    const files = filesUnder(home).filter((file) => !file.endsWith('tokens.json'));
    expect(files.some((file) => file.includes('journal'))).toBe(true);
    expect(files.some((file) => file.endsWith('glassbox.db-wal'))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const secret of secrets) {
        expect(bytes.includes(Buffer.from(secret)), `${file} holds a token`).toBe(false);
      }
    }
  }, 180_000);
});
