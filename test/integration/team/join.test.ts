/**
 * `glassbox team join URL` as the real bin against the real server bin (Debian's PostgreSQL, the test OIDC
 * provider issuing JWT access tokens for the server's audience): config.json written from /v1/info, the sign-in
 * driven through the provider's own pages (browser flow and device flow), and the stored access token accepted
 * by the server (a head request answers 404, not 401). A re-run changes nothing and signs in no one again; a
 * URL that is unreachable, not a Glassbox server, or speaks another protocol version is refused clearly.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../../proxy/identity/types.js';
import { runCliAsync } from '../../helpers/cli.js';
import { useStoreHome } from '../../helpers/files.js';
import { printedAuthorizationUrl, printedDeviceCode, startSignInCommand } from '../../helpers/login-cli.js';
import { completeDeviceSignIn, formBrowser } from '../../helpers/oidc-browser.js';
import { startOidcProvider, TEST_CLIENT_ID } from '../../helpers/oidc-provider.js';
import { spawnTeamServer, startTeamSetup, TEAM_AUDIENCE, type TeamSetup } from '../../helpers/team-server.js';

let team: TeamSetup;

beforeAll(async () => {
  team = await startTeamSetup();
}, 120_000);
afterAll(async () => {
  await team?.stop();
});

function configOf(home: string): Record<string, Record<string, unknown>> {
  return JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
}

function storedTokens(home: string): TokenSet {
  return JSON.parse(readFileSync(join(home, 'tokens.json'), 'utf8')) as TokenSet;
}

/** What the server answers a head request carrying `token`. */
async function headStatus(token: string): Promise<number> {
  const response = await fetch(`${team.server.url}/v1/sessions/x/head`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return response.status;
}

describe('glassbox team join URL', () => {
  const paths = useStoreHome('gb-team-join-');
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step();
  });
  const tokenStore = { GLASSBOX_TOKEN_STORE: 'file' };

  it('writes team and identity from /v1/info, signs in in the browser, and the server accepts the token', async () => {
    const { home } = paths();
    const joining = startSignInCommand(
      home,
      ['team', 'join', `${team.server.url}/`, '--no-open'],
      tokenStore,
    );
    cleanup.push(() => void joining.child.kill());
    const url = await printedAuthorizationUrl(joining);
    expect(new URL(url).searchParams.get('resource')).toBe(TEAM_AUDIENCE);
    const browser = formBrowser();
    let page = await browser.get(url);
    page = await browser.submit(page, { login: 'alice', password: 'any' });
    page = await browser.submit(page);
    expect(page.text).toContain('You may close this tab.');
    expect(await joining.exited).toBe(0);

    const config = configOf(home);
    expect(config.team).toEqual({ url: team.server.url, token: 'access_token' });
    expect(config.identity).toEqual({
      issuer: team.provider.issuer,
      clientId: TEST_CLIENT_ID,
      audience: TEAM_AUDIENCE,
      groupsClaim: 'groups',
    });
    expect(joining.stdout()).toContain('Signed in as Alice Example <alice@example.test>');
    expect(joining.stdout()).toContain(`Joined ${team.server.url}: the server accepts your sign-in`);
    const tokens = storedTokens(home);
    expect(tokens.access_token.split('.')).toHaveLength(3); // a JWT, not the provider's opaque default
    expect(await headStatus(tokens.access_token)).toBe(404);
    expect(await headStatus('not-a-token')).toBe(401);
  }, 120_000);

  it('keeps the other settings, warns about a replaced issuer, signs in on a device; a re-run changes nothing', async () => {
    const { home } = paths();
    const before = {
      api: { port: 18_789 },
      team: { url: 'https://old-team.example.com', mirror: false },
      identity: {
        issuer: 'https://login.old.example.com',
        clientId: 'old-client',
        scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
        required: true,
      },
    };
    writeFileSync(join(home, 'config.json'), JSON.stringify(before), { mode: 0o600 });
    const joining = startSignInCommand(home, ['team', 'join', team.server.url, '--device'], tokenStore);
    cleanup.push(() => void joining.child.kill());
    const { uri, userCode } = await printedDeviceCode(joining);
    await completeDeviceSignIn(uri, userCode, 'bob');
    expect(await joining.exited).toBe(0);
    expect(joining.stderr()).toContain(
      `glassbox: warning: config.json's identity.issuer was https://login.old.example.com; the team server trusts ${team.provider.issuer}`,
    );
    const config = configOf(home);
    expect(config).toEqual({
      api: { port: 18_789 },
      team: { url: team.server.url, token: 'access_token', mirror: false },
      identity: {
        issuer: team.provider.issuer,
        clientId: TEST_CLIENT_ID,
        audience: TEAM_AUDIENCE,
        scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
        required: true,
      },
    });
    const tokens = storedTokens(home);
    expect(await headStatus(tokens.access_token)).toBe(404);

    const written = readFileSync(join(home, 'config.json'), 'utf8');
    const again = await runCliAsync(home, ['team', 'join', team.server.url, '--device'], tokenStore);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already joins');
    expect(again.stderr).toContain('Already signed in as Bob');
    expect(again.stderr).not.toContain('enter the code');
    expect(again.stdout).toContain('the server accepts your sign-in');
    expect(readFileSync(join(home, 'config.json'), 'utf8')).toBe(written);
    expect(storedTokens(home).access_token).toBe(tokens.access_token);
  }, 120_000);

  it('a server that wants ID tokens (opaque access tokens): no audience asked for, and the ID token is accepted', async () => {
    const { home } = paths();
    const server = await spawnTeamServer({
      databaseUrl: team.pg.superuserUrl,
      issuer: team.provider.issuer,
      args: ['--token', 'id_token'],
    });
    cleanup.push(() => server.stop().then(() => undefined));
    const joining = startSignInCommand(home, ['team', 'join', server.url, '--device'], tokenStore);
    cleanup.push(() => void joining.child.kill());
    const { uri, userCode } = await printedDeviceCode(joining);
    await completeDeviceSignIn(uri, userCode, 'alice');
    expect(await joining.exited).toBe(0);
    const config = configOf(home);
    expect(config.team).toEqual({ url: server.url, token: 'id_token' });
    expect(config.identity).toEqual({
      issuer: team.provider.issuer,
      clientId: TEST_CLIENT_ID,
      groupsClaim: 'groups',
    });
    expect(joining.stdout()).toContain('the server accepts your sign-in');
    const response = await fetch(`${server.url}/v1/sessions/x/head`, {
      headers: { authorization: `Bearer ${storedTokens(home).id_token}` },
    });
    expect(response.status).toBe(404);
  }, 120_000);

  it('says so (exit 1) when the server refuses the token the provider issued', async () => {
    const { home } = paths();
    // A provider that puts another audience in its access tokens than the server checks.
    const provider = await startOidcProvider({
      apiResource: { indicator: TEAM_AUDIENCE, audience: 'https://elsewhere.example.test' },
    });
    cleanup.push(() => provider.close());
    const server = await spawnTeamServer({ databaseUrl: team.pg.superuserUrl, issuer: provider.issuer });
    cleanup.push(() => server.stop().then(() => undefined));
    const joining = startSignInCommand(home, ['team', 'join', server.url, '--device'], tokenStore);
    cleanup.push(() => void joining.child.kill());
    const { uri, userCode } = await printedDeviceCode(joining);
    await completeDeviceSignIn(uri, userCode, 'alice');
    expect(await joining.exited).toBe(1);
    expect(joining.stdout()).toContain('Signed in as Alice Example');
    expect(joining.stderr()).toContain(`glassbox: The team server at ${server.url} refused your sign-in: `);
    expect(joining.stderr()).toContain('--issuer, --audience and --token');
  }, 120_000);

  it('--no-login writes config.json and leaves the sign-in for later; a running engine is told to restart', async () => {
    const { home } = paths();
    writeFileSync(join(home, 'engine.pid'), String(process.pid)); // a live process holds the engine lock
    const result = await runCliAsync(home, ['team', 'join', team.server.url, '--no-login'], tokenStore);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      `The running engine (pid ${process.pid}) reads the team and identity settings at start: restart it`,
    );
    expect(configOf(home).team).toEqual({ url: team.server.url, token: 'access_token' });
    expect(result.stdout).toContain('Sign in with `glassbox login`');
    expect((await runCliAsync(home, ['whoami'], tokenStore)).code).toBe(1);
  });

  it('refuses an unreachable URL, a server that is not Glassbox, and another protocol version', async () => {
    const { home } = paths();
    const other = createServer((request, response) => {
      if (request.url === '/v2/info' || request.url === '/v1/info') {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ ...JSON.parse(infoBody), protocol: 2, version: '9.0.0' }));
      } else response.writeHead(404).end();
    });
    const infoBody = await (await fetch(`${team.server.url}/v1/info`)).text();
    other.listen(0, '127.0.0.1');
    await new Promise((resolve) => other.once('listening', resolve));
    cleanup.push(() => new Promise<void>((resolve) => other.close(() => resolve())));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;

    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await new Promise((resolve) => closed.once('listening', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const unreachable = await runCliAsync(home, ['team', 'join', `http://127.0.0.1:${closedPort}`]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain(
      `glassbox: Cannot reach the team server at http://127.0.0.1:${closedPort} (ECONNREFUSED)`,
    );

    const provider = await runCliAsync(home, ['team', 'join', team.provider.issuer]);
    expect(provider.code).toBe(2);
    expect(provider.stderr).toContain(
      `glassbox: ${team.provider.issuer} does not look like a Glassbox team server: GET /v1/info answered HTTP 404`,
    );

    const newer = await runCliAsync(home, ['team', 'join', otherUrl]);
    expect(newer.code).toBe(2);
    expect(newer.stderr).toContain(
      `glassbox: The team server at ${otherUrl} (glassbox-server 9.0.0) speaks team protocol v2, and this glassbox`,
    );
    expect(newer.stderr).toContain('speaks v1: upgrade glassbox on this machine.');

    const plain = await runCliAsync(home, ['team', 'join', 'http://team.example.com']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('http:// is allowed only on 127.0.0.1, localhost or [::1]');
    // Nothing was written by any refused join.
    expect(() => readFileSync(join(home, 'config.json'))).toThrow();
  });
});
