import Anthropic from '@anthropic-ai/sdk';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type {
  ApprovalResponse,
  LiveMessage,
  RecordingResponse,
  SessionsResponse,
} from '../../proxy/api/types.js';
import {
  expiredState,
  readSignInState,
  signedOutState,
  writeSignInState,
} from '../../proxy/identity/sign-in-state.js';
import type { Session } from '../../proxy/store/types.js';
import { sqlSubject } from '../helpers/approvals.js';
import { runCli, waitFor } from '../helpers/cli.js';
import { type IdentitySetup, startIdentitySetup } from '../helpers/identity-engine.js';
import { signInForTest } from '../helpers/identity-signin.js';

const API_KEY = 'sk-ant-api03-identityTestKey0123456789abcdefghijklmnopqrstuvwxyz-TEST';

describe('the verified identity on every session, read live while the engine runs', () => {
  let setup: IdentitySetup;
  let claude: Anthropic;
  let fingerprints: { alice: string; bob: string };
  const live: LiveMessage[] = [];
  let ws: WebSocket;

  beforeAll(async () => {
    setup = await startIdentitySetup();
    const { engine } = setup.test;
    claude = new Anthropic({ baseURL: engine.addresses.anthropicUrl, apiKey: API_KEY, maxRetries: 0 });
    ws = new WebSocket(
      `${engine.addresses.apiUrl.replace('http', 'ws')}/api/live?access_token=${engine.addresses.token}`,
    );
    ws.on('message', (data) => live.push(JSON.parse(String(data)) as LiveMessage));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  });
  afterAll(async () => {
    ws?.close();
    await setup?.cleanup();
  });

  const ask = (session: string) =>
    claude.messages.create(
      { model: 'claude-sonnet-4-5-20250929', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-claude-code-session-id': session } },
    );
  const query = async (app: string) => {
    const client = new pg.Client({ connectionString: setup.pgUrl, application_name: app });
    await client.connect();
    await client.query('SELECT 1 AS one');
    await client.end();
  };
  const byClient = (sessions: Session[], client: string) => sessions.find((s) => s.client === client);
  const byExternal = (sessions: Session[], id: string) => sessions.find((s) => s.external_id === id);

  it('stamps sessions with the signed-in person, then unverified after sign-out, without a restart', async () => {
    expect((await setup.untilStatus('signed-out')).configured).toBe(true);
    await ask('before-sign-in');

    const alice = await signInForTest(setup.provider, setup.home, 'alice');
    const identity = await setup.untilStatus('signed-in');
    expect(identity).toMatchObject({
      configured: true,
      required: false,
      hint: null,
      issuer: setup.provider.issuer,
    });
    expect(identity.state.claims).toMatchObject({ subject: 'alice', email: 'alice@example.test' });
    expect(JSON.stringify(identity)).not.toContain(alice.access_token);
    await ask('alice-claude');
    await query('alice-pg');
    const psql = await setup.psql('alice-psql', ['-c', 'SELECT 2']);
    expect(psql.code, psql.stderr).toBe(0);

    writeSignInState(setup.home, signedOutState());
    await setup.untilStatus('signed-out');
    await ask('after-sign-out');
    await query('after-sign-out-pg');

    const bob = await signInForTest(setup.provider, setup.home, 'bob');
    await setup.untilStatus('signed-in');
    await ask('bob-claude');

    writeSignInState(
      setup.home,
      expiredState(readSignInState(setup.home), 'the provider refused the refresh token'),
    );
    await setup.untilStatus('expired');
    const expiredReply = await ask('expired-claude');
    expect(expiredReply.content.length).toBeGreaterThan(0);
    fingerprints = { alice: alice.token_fingerprint, bob: bob.token_fingerprint };

    // The CLI reads the database, which the engine's journal reaches a moment after the write is durable.
    const sessions = await waitFor(() => {
      const listed = runCli(setup.home, ['sessions', '--json', '--limit', '50']);
      expect(listed.status, listed.stderr).toBe(0);
      const all = JSON.parse(listed.stdout) as Session[];
      return byExternal(all, 'expired-claude')?.stats.turns ? all : undefined;
    }, 20_000);
    const aliceVerified = {
      verified: true,
      subject: 'alice',
      email: 'alice@example.test',
      name: 'Alice Example',
      groups: ['engineering', 'auditors'],
      issuer: setup.provider.issuer,
      token_fingerprint: fingerprints.alice,
      identity_status: 'verified',
    };
    expect(byExternal(sessions, 'before-sign-in')?.identity).toMatchObject({
      verified: false,
      email: null,
      identity_status: 'signed-out',
    });
    expect(byExternal(sessions, 'alice-claude')?.identity).toMatchObject(aliceVerified);
    expect(byClient(sessions, 'alice-pg')?.identity).toMatchObject(aliceVerified);
    expect(byClient(sessions, 'alice-psql')?.identity).toMatchObject(aliceVerified);
    for (const s of [byExternal(sessions, 'after-sign-out'), byClient(sessions, 'after-sign-out-pg')])
      expect(s?.identity).toMatchObject({ verified: false, subject: null, identity_status: 'signed-out' });
    expect(byExternal(sessions, 'bob-claude')?.identity).toMatchObject({
      verified: true,
      email: 'bob@example.test',
      groups: ['db-approvers'],
      token_fingerprint: fingerprints.bob,
    });
    // Expiry never stops recording: the turn is there, under an unverified identity that says why.
    const expired = byExternal(sessions, 'expired-claude')!;
    expect(expired.identity).toMatchObject({ verified: false, identity_status: 'expired' });
    expect(expired.stats.turns).toBe(1);

    const api = await setup.call<SessionsResponse>('GET', '/api/sessions?limit=50');
    expect(byExternal(api.body.sessions, 'alice-claude')?.identity).toMatchObject(aliceVerified);
    // The live feed told about each change, without a token.
    const states = live
      .filter((m) => m.type === 'identity')
      .map((m) => (m.type === 'identity' ? m.state.status : ''));
    expect(states).toEqual(['signed-in', 'signed-out', 'signed-in', 'expired']);
    expect(JSON.stringify(live)).not.toContain(alice.access_token);
  });

  it('filters sessions by person (subject or email, any case) and by group, in the API and the CLI', async () => {
    const ids = (sessions: Session[]) =>
      sessions.map((s) => (s.kind === 'anthropic' ? s.external_id : s.client)).sort();
    const byEmail = await setup.call<SessionsResponse>('GET', '/api/sessions?person=ALICE@Example.TEST');
    expect(byEmail.status).toBe(200);
    expect(byEmail.body.sessions.map((s) => s.identity.email)).toEqual([
      'alice@example.test',
      'alice@example.test',
      'alice@example.test',
    ]);
    const bySubject = await setup.call<SessionsResponse>('GET', '/api/sessions?person=bob');
    expect(bySubject.body.sessions.map((s) => s.external_id)).toEqual(['bob-claude']);
    const byGroup = await setup.call<SessionsResponse>('GET', '/api/sessions?group=auditors');
    expect(byGroup.body.sessions).toHaveLength(3);
    const both = await setup.call<SessionsResponse>('GET', '/api/sessions?person=alice&group=db-approvers');
    expect(both.body.sessions).toEqual([]);
    const bad = await setup.call<{ error: { code: string } }>(
      'GET',
      `/api/sessions?group=${'g'.repeat(300)}`,
    );
    expect(bad.status).toBe(400);

    const cli = runCli(setup.home, [
      'sessions',
      '--person',
      'alice@example.test',
      '--group',
      'engineering',
      '--json',
    ]);
    expect(cli.status, cli.stderr).toBe(0);
    const fromCli = JSON.parse(cli.stdout) as Session[];
    expect(ids(fromCli)).toEqual(['alice-claude', 'alice-pg', 'alice-psql']);
    expect(fromCli.every((s) => s.identity.token_fingerprint === fingerprints.alice)).toBe(true);
    const table = runCli(setup.home, ['sessions', '--group', 'db-approvers']);
    expect(table.stdout).toContain('bob@example.test');
    expect(table.stdout).not.toContain('alice@example.test');
  });

  it('shows the identity with a verified mark, or why it is unverified', async () => {
    const sessions = (await setup.call<SessionsResponse>('GET', '/api/sessions?limit=50')).body.sessions;
    const shown = (external: string) =>
      runCli(setup.home, ['show', byExternal(sessions, external)!.id]).stdout;
    expect(shown('alice-claude')).toMatch(
      /✓ verified Alice Example <alice@example\.test> · groups engineering, auditors · issuer http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(shown('after-sign-out')).toContain('unverified (signed out)');
    expect(shown('expired-claude')).toContain('unverified (sign-in expired)');
  });

  it('records the verified identity of whoever decides an approval through the API', async () => {
    await signInForTest(setup.provider, setup.home, 'bob');
    await setup.untilStatus('signed-in');
    const { engine } = setup.test;
    const held = engine.approvals.request(sqlSubject(engine.store, 'DELETE FROM orders'));
    const decided = await setup.call<ApprovalResponse>('POST', `/api/approvals/${held.approval.id}/approve`, {
      via: 'dashboard',
    });
    expect(decided.status).toBe(200);
    const by = {
      verified: true,
      subject: 'bob',
      email: 'bob@example.test',
      name: 'Bob Example',
      issuer: setup.provider.issuer,
      groups: ['db-approvers'],
      via: 'dashboard',
    };
    expect(decided.body.approval.decided_by).toMatchObject(by);
    const event = engine.store
      .listEvents(held.approval.subject.session_id)
      .find((e) => e.kind === 'approval.decided')!;
    expect(event.payload).toMatchObject({ decision: 'approved', by });
    expect(JSON.parse(engine.store.approvals.get(held.approval.id)!.decided_by!)).toMatchObject(by);
    expect(engine.store.verifySession(held.approval.subject.session_id).intact).toBe(true);

    // A recording pause asked for while signed in names the same person.
    const paused = await setup.call<RecordingResponse>('POST', '/api/recording', {
      recording: false,
      via: 'tray',
    });
    expect(paused.body.paused).toMatchObject({ by: 'bob@example.test', via: 'tray' });
    await setup.call<RecordingResponse>('POST', '/api/recording', { recording: true, via: 'tray' });
    const pauseEvents = engine.store.listEvents(paused.body.paused!.session_id);
    for (const kind of ['recording.paused', 'recording.resumed'])
      expect(pauseEvents.find((e) => e.kind === kind)?.payload).toMatchObject({
        by: 'bob@example.test',
        actor: { verified: true, subject: 'bob', issuer: setup.provider.issuer },
      });
  });
});
