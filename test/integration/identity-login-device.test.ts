import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../proxy/identity/types.js';
import { runCliAsync } from '../helpers/cli.js';
import { useStoreHome } from '../helpers/files.js';
import { printedDeviceCode, startLogin, writeIdentityConfig } from '../helpers/login-cli.js';
import { completeDeviceSignIn, formBrowser } from '../helpers/oidc-browser.js';
import {
  type OidcProviderOptions,
  startOidcProvider,
  type TestOidcProvider,
} from '../helpers/oidc-provider.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

describe('glassbox login --device (RFC 8628) as the real bin', () => {
  const paths = useStoreHome('gb-login-device-');
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step();
  });
  const provider = async (options: OidcProviderOptions = {}): Promise<TestOidcProvider> => {
    const started = await startOidcProvider(options);
    cleanup.push(() => started.close());
    return started;
  };

  it('prints the URL and code, honours slow_down, stores the tokens and tells who signed in', async () => {
    const op = await provider({ slowDownPolls: 1, deviceInterval: 1 });
    const { home } = paths();
    writeIdentityConfig(home, op);
    const login = startLogin(home, ['--device']);
    cleanup.push(() => void login.child.kill());
    const { uri, userCode } = await printedDeviceCode(login);
    expect(uri).toBe(`${op.issuer}/device`);
    expect(userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(login.stderr()).toContain(
      `(or open ${op.issuer}/device?user_code=${userCode}, which has the code filled in)`,
    );
    await completeDeviceSignIn(uri, userCode, 'alice');
    expect(await login.exited).toBe(0);
    expect(login.stdout()).toMatch(
      new RegExp(
        `^Signed in as Alice Example <alice@example\\.test> \\(groups: engineering, auditors\\) via ${op.issuer}; tokens in .*tokens\\.json`,
      ),
    );
    // Polling honoured slow_down: the poll after it came at least interval + 5 s later (RFC 8628 §3.5).
    expect(op.slowDowns).toHaveLength(1);
    const polls = op.tokenRequestLog.filter((r) => r.grantType === DEVICE_GRANT);
    const after = polls.find((r) => r.at > (op.slowDowns[0] ?? 0));
    expect(after).toBeDefined();
    expect((after?.at ?? 0) - (op.slowDowns[0] ?? 0)).toBeGreaterThanOrEqual(5_000);

    const tokensFile = join(home, 'tokens.json');
    expect(statSync(tokensFile).mode & 0o777).toBe(0o600);
    const tokens = JSON.parse(readFileSync(tokensFile, 'utf8')) as TokenSet;
    const state = readFileSync(join(home, 'identity.json'), 'utf8');
    for (const secret of [tokens.access_token, tokens.refresh_token, tokens.id_token]) {
      expect(secret).toBeTruthy();
      expect(state).not.toContain(secret);
    }
    const whoami = await runCliAsync(home, ['whoami', '--json']);
    expect(whoami.code).toBe(0);
    const json = JSON.parse(whoami.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      status: 'signed-in',
      issuer: op.issuer,
      claims: { subject: 'alice', email: 'alice@example.test', groups: ['engineering', 'auditors'] },
    });
    for (const secret of [tokens.access_token, tokens.refresh_token])
      expect(whoami.stdout).not.toContain(secret);
  }, 60_000);

  it('CI=1 makes plain `glassbox login` use the device flow, and says why', async () => {
    const op = await provider();
    const { home } = paths();
    writeIdentityConfig(home, op);
    const login = startLogin(home, [], { CI: '1', DISPLAY: ':0' });
    cleanup.push(() => void login.child.kill());
    const { uri, userCode } = await printedDeviceCode(login);
    expect(login.stderr()).toContain('No browser can open here (CI is set)');
    await completeDeviceSignIn(uri, userCode, 'bob');
    expect(await login.exited).toBe(0);
    expect(login.stdout()).toContain('Signed in as Bob Example <bob@example.test> (groups: db-approvers)');
  });

  it('no display on Linux makes plain `glassbox login` use the device flow', async () => {
    const op = await provider();
    const { home } = paths();
    writeIdentityConfig(home, op);
    const login = startLogin(home, []);
    cleanup.push(() => void login.child.kill());
    await printedDeviceCode(login);
    expect(login.stderr()).toContain('No browser can open here (there is no display');
  });

  it('a denied request ends with access_denied and what to do', async () => {
    const op = await provider();
    const { home } = paths();
    writeIdentityConfig(home, op);
    const login = startLogin(home, ['--device']);
    cleanup.push(() => void login.child.kill());
    const { uri, userCode } = await printedDeviceCode(login);
    const browser = formBrowser();
    let page = await browser.get(uri);
    page = await browser.submit(page, { user_code: userCode }, 'op.deviceInputForm');
    page = await browser.submit(page, { abort: 'yes' }, 'op.deviceConfirmForm');
    expect(await login.exited).toBe(2);
    expect(login.stderr()).toContain(`The sign-in was denied at ${op.issuer} (access_denied`);
    expect(login.stderr()).toContain('Run `glassbox login` again');
    expect(await runCliAsync(home, ['whoami'])).toMatchObject({ code: 1 });
  });

  it('--timeout shorter than the code ends the wait with a message', async () => {
    const op = await provider();
    const { home } = paths();
    writeIdentityConfig(home, op);
    const login = startLogin(home, ['--device', '--timeout', '2']);
    cleanup.push(() => void login.child.kill());
    await printedDeviceCode(login);
    expect(await login.exited).toBe(2);
    expect(login.stderr()).toMatch(/Nobody completed the sign-in at \S+ within 2 s/);
    expect(login.stderr()).toContain('Run `glassbox login --device` again');
  });

  it('a provider without the device grant says so', async () => {
    const op = await provider({ deviceFlow: false });
    const { home } = paths();
    writeIdentityConfig(home, op);
    const login = startLogin(home, ['--device']);
    expect(await login.exited).toBe(2);
    expect(login.stderr()).toContain(`${op.issuer} has no device authorization endpoint`);
  });
});
