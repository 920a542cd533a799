import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityResponse } from '../../proxy/identity/types.js';
import type { Session } from '../../proxy/store/types.js';
import { type IdentitySetup, startIdentitySetup } from '../helpers/identity-engine.js';
import { signInForTest } from '../helpers/identity-signin.js';

const API_KEY = 'sk-ant-api03-requiredTestKey0123456789abcdefghijklmnopqrstuvwxyz-TEST';

describe('identity.required: unsigned clients are refused, in their own protocol, and the refusal is recorded', () => {
  let setup: IdentitySetup;
  let claude: Anthropic;

  beforeAll(async () => {
    setup = await startIdentitySetup({ required: true });
    claude = new Anthropic({
      baseURL: setup.test.engine.addresses.anthropicUrl,
      apiKey: API_KEY,
      maxRetries: 0,
    });
    // Every connection PostgreSQL accepts is logged with its application_name, to prove none came through.
    const admin = new pg.Client({ connectionString: setup.pg.superuserUrl });
    await admin.connect();
    await admin.query('ALTER SYSTEM SET log_connections = on');
    await admin.query('SELECT pg_reload_conf()');
    await admin.end();
  });
  afterAll(async () => {
    await setup?.cleanup();
  });

  const ask = (session: string) =>
    claude.messages.create(
      { model: 'claude-sonnet-4-5-20250929', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-claude-code-session-id': session } },
    );
  const serverLog = () => readFileSync(join(dirname(setup.pg.dataDir), 'server.log'), 'utf8');
  const sessions = () => setup.test.engine.store.listSessions({ limit: 100 });
  const refusedEvent = (session: Session) =>
    setup.test.engine.store.listEvents(session.id).find((e) => e.kind === 'identity.refused');

  it('answers the Anthropic SDK 401 authentication_error saying to run glassbox login, and forwards nothing', async () => {
    const identity = await setup.call<IdentityResponse>('GET', '/api/identity');
    expect(identity.body).toMatchObject({
      required: true,
      hint: 'glassbox login',
      state: { status: 'signed-out' },
    });
    const error = await ask('refused-claude').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    const refused = error as InstanceType<typeof Anthropic.AuthenticationError>;
    expect(refused.status).toBe(401);
    expect(refused.error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(refused.message).toContain('glassbox login');
    expect(setup.mock.requests).toHaveLength(0);

    const session = sessions().find((s) => s.kind === 'anthropic')!;
    expect(session).toMatchObject({ status: 'closed', external_id: null });
    expect(session.identity).toMatchObject({ verified: false, identity_status: 'signed-out' });
    expect(refusedEvent(session)?.payload).toMatchObject({
      reason: expect.stringContaining('glassbox login'),
      client: expect.stringContaining('Anthropic/JS'),
      target: new URL(setup.mock.url).host,
      external_id: 'refused-claude',
      method: 'POST',
      path: '/v1/messages',
    });
    expect(setup.test.engine.store.verifySession(session.id).intact).toBe(true);
  });

  it('ends psql and pg with FATAL 28000 and the hint, never connecting upstream', async () => {
    const run = await setup.psql('refused-psql', ['-c', 'SELECT 1']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('FATAL:  Glassbox requires sign-in');
    expect(run.stderr).toContain('HINT:  run glassbox login');
    const client = new pg.Client({ connectionString: setup.pgUrl, application_name: 'refused-pg' });
    const error = (await client.connect().catch((e: unknown) => e)) as pg.DatabaseError;
    expect(error).toBeInstanceOf(pg.DatabaseError);
    expect(error).toMatchObject({ code: '28000', severity: 'FATAL', hint: 'run glassbox login' });
    expect(error.message).toContain('glassbox login');
    await client.end().catch(() => undefined);

    for (const app of ['refused-psql', 'refused-pg']) {
      const session = sessions().find((s) => s.client === app)!;
      expect(session).toMatchObject({ kind: 'postgres', status: 'closed' });
      expect(session.identity).toMatchObject({ verified: false, identity_status: 'signed-out' });
      expect(refusedEvent(session)?.payload).toMatchObject({
        reason: expect.stringContaining('glassbox login'),
        client: app,
        target: expect.stringContaining('shop'),
        sqlstate: '28000',
      });
      expect(setup.test.engine.store.listEvents(session.id).map((e) => e.kind)).not.toContain('pg.statement');
      expect(setup.test.engine.store.verifySession(session.id).intact).toBe(true);
    }
    expect(serverLog()).not.toMatch(/application_name=refused-p/);
  });

  it('lets the same clients through once signed in', async () => {
    await signInForTest(setup.provider, setup.home, 'alice');
    await setup.untilStatus('signed-in');
    const reply = await ask('allowed-claude');
    expect(reply.content.length).toBeGreaterThan(0);
    expect(setup.mock.requests).toHaveLength(1);
    const run = await setup.psql('allowed-psql', ['-A', '-t', '-c', 'SELECT 40 + 2']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('42');
    const allowed = sessions().filter(
      (s) => s.external_id === 'allowed-claude' || s.client === 'allowed-psql',
    );
    expect(allowed).toHaveLength(2);
    for (const s of allowed)
      expect(s.identity).toMatchObject({ verified: true, email: 'alice@example.test' });
    expect(serverLog()).toMatch(/application_name=allowed-psql/);
  });
});
