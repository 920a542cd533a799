/**
 * The engine's background mirror against the real team server bin on a real PostgreSQL, with engines signed
 * in at a real OIDC provider, recording real clients (pg and psql through the PostgreSQL proxy, the Anthropic
 * SDK through the Anthropic proxy): sessions arrive with the local heads; a server SIGKILLed mid-flood and
 * restarted, and an engine stopped mid-mirror and restarted, lose and duplicate nothing; sessions recorded a
 * week ago while the server was down arrive when it is back; a session altered in the engine's SQLite is
 * refused (422, an alert on the server) while the others arrive; a 429's Retry-After is honoured.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../proxy/engine.js';
import type { MirrorStatus } from '../../../proxy/sync/types.js';
import { startTestEngine } from '../../helpers/engine.js';
import { signInForTest } from '../../helpers/identity-signin.js';
import {
  localHeads,
  type MirrorRig,
  serverHeads,
  startMirrorRig,
  until,
  untilMirrored,
} from '../../helpers/mirror-rig.js';
import { spawnTeamServer } from '../../helpers/team-server.js';

let rig: MirrorRig;

beforeAll(async () => {
  rig = await startMirrorRig();
  await rig.startServer();
}, 180_000);
afterAll(async () => {
  await rig?.stop();
}, 60_000);

/** `count` statements through the proxy in one session (one pg connection), as `app`. */
async function statements(pgUrl: string, app: string, count: number): Promise<void> {
  const url = new URL(pgUrl);
  url.searchParams.set('application_name', app);
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    for (let i = 0; i < count; i++) await client.query('SELECT $1::int AS n, md5($1::text) AS word', [i]);
  } finally {
    await client.end();
  }
}

async function teamStatus(engine: Engine): Promise<MirrorStatus> {
  const response = await fetch(`${engine.addresses.apiUrl}/api/team`, {
    headers: { authorization: `Bearer ${engine.addresses.token}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as MirrorStatus;
}

/** Every session's events on the server number exactly its local head (nothing lost, nothing twice). */
async function expectExactlyOnce(engine: Engine): Promise<void> {
  const remote = await serverHeads(rig);
  for (const [id, head] of localHeads(engine)) expect(remote.get(id)).toEqual({ head, events: head });
}

describe('the background mirror', () => {
  it('mirrors PostgreSQL and Anthropic sessions with the local heads, and says so on /api/team', async () => {
    const home = await rig.home('alice');
    const engine = await home.start();
    await statements(home.pgUrl, 'psql-like', 20);
    const claude = new Anthropic({
      baseURL: engine.addresses.anthropicUrl,
      apiKey: 'sk-ant-test',
      maxRetries: 0,
    });
    await claude.messages.create(
      { model: 'claude-sonnet-4-5-20250929', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-claude-code-session-id': 'mirror-claude-1' } },
    );
    const kinds = engine.store.listSessions().map((session) => session.kind);
    expect(kinds).toEqual(expect.arrayContaining(['postgres', 'anthropic']));
    await untilMirrored(rig, engine);
    await expectExactlyOnce(engine);
    // The server's own chain check agrees, and the owner is the token's person.
    const owners = await rig.serverQuery<{ owner_email: string }>(
      'SELECT DISTINCT owner_email FROM sessions',
    );
    expect(owners.map((row) => row.owner_email)).toContain('alice@example.test');
    await until('the status says up-to-date', async () => (await teamStatus(engine)).state === 'up-to-date');
    const status = await teamStatus(engine);
    expect(status).toMatchObject({ configured: true, sessions_behind: 0, events_behind: 0, refused: 0 });
    expect(status.last_success_at).toEqual(expect.any(Number));
    await home.stop();
  }, 180_000);

  it('loses and duplicates nothing when the server is SIGKILLed mid-flood and started again', async () => {
    const home = await rig.home('alice');
    const engine = await home.start();
    const flood = Promise.all([0, 1, 2].map((n) => statements(home.pgUrl, `flood-${n}`, 1_500)));
    const ids = () => [...localHeads(engine).keys()];
    await until('the server holds some of the flood', async () => {
      const remote = await serverHeads(rig);
      return ids().some((id) => (remote.get(id)?.events ?? 0) > 0);
    });
    rig.server!.child.kill('SIGKILL');
    await rig.server!.exited;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await rig.startServer();
    await flood;
    await untilMirrored(rig, engine, 180_000);
    await expectExactlyOnce(engine);
    await home.stop();
  }, 300_000);

  it('resumes from the server after the engine is stopped mid-mirror, its sync_state lost too', async () => {
    const home = await rig.home('alice');
    let engine = await home.start();
    await rig.server!.stop();
    await Promise.all([0, 1, 2].map((n) => statements(home.pgUrl, `backlog-${n}`, 1_500)));
    const total = [...localHeads(engine).values()].reduce((a, b) => a + b, 0);
    await home.stop();
    await rig.startServer();
    engine = await home.start();
    const ids = [...localHeads(engine).keys()];
    const arrived = async () => {
      const remote = await serverHeads(rig);
      return ids.reduce((sum, id) => sum + (remote.get(id)?.events ?? 0), 0);
    };
    await until('the server holds part of the backlog', async () => (await arrived()) > 0);
    await home.stop();
    const partial = await arrived();
    expect(partial).toBeLessThan(total);
    // What the engine knew of the server is gone too: it must ask the server's heads again.
    const db = new Database(`${home.home}/glassbox.db`);
    db.prepare('DELETE FROM sync_state').run();
    db.close();
    engine = await home.start();
    await untilMirrored(rig, engine, 180_000);
    await expectExactlyOnce(engine);
    await home.stop();
  }, 300_000);

  it('mirrors everything recorded while the server was down for a week, ended sessions included', async () => {
    const home = await rig.home('alice');
    const engine = await home.start();
    await rig.server!.stop();
    // A week ago: sessions written through the engine's store with their real times a week back (the chain
    // covers each event's time, so they cannot be shifted afterwards).
    const weekAgo = (Date.now() - 7 * 24 * 3600 * 1000) * 1000;
    const identity = engine.identity.current();
    const old: string[] = [];
    for (let s = 0; s < 5; s++) {
      const started = weekAgo + s * 3_600_000_000;
      const session = engine.store.createSession(
        { kind: 'postgres', target: 'shop', client: `week-${s}`, identity, external_id: null },
        started,
      );
      for (let i = 1; i <= 50; i++)
        engine.store.append(
          session.id,
          'pg.statement',
          { sql: `SELECT ${i}`, n: i },
          { ts: started + i * 1000 },
        );
      engine.store.endSession(session.id, 'client_closed', 'closed', true);
      old.push(session.id);
    }
    // And today, through the proxy, while the server is still down.
    await statements(home.pgUrl, 'while-down', 30);
    await home.stop();
    await rig.startServer();
    const again = await home.start();
    await untilMirrored(rig, again);
    await expectExactlyOnce(again);
    const rows = await rig.serverQuery<{ id: string; started_at: string; status: string }>(
      'SELECT id, started_at, status FROM sessions WHERE id = ANY($1)',
      [old],
    );
    expect(rows).toHaveLength(5);
    for (const row of rows) {
      expect(Number(row.started_at)).toBeLessThan(weekAgo + 5 * 3_600_000_000);
      expect(row.status).toBe('closed');
    }
    await home.stop();
  }, 180_000);

  it('refuses a session altered in SQLite (422, an alert on the server) and mirrors the others', async () => {
    const home = await rig.home('alice');
    const engine = await home.start();
    await rig.server!.stop();
    await statements(home.pgUrl, 'to-alter', 5);
    await statements(home.pgUrl, 'intact-1', 5);
    await statements(home.pgUrl, 'intact-2', 5);
    const sessions = engine.store.listSessions();
    const altered = sessions.find((session) => session.client === 'to-alter')!;
    const event = engine.store.listEvents(altered.id).find((e) => e.kind === 'pg.statement')!;
    const db = new Database(`${home.home}/glassbox.db`);
    const changed = db
      .prepare('UPDATE events SET payload = replace(payload, ?, ?) WHERE session_id = ? AND seq = ?')
      .run('md5', 'MD5', altered.id, event.seq);
    db.close();
    expect(changed.changes).toBe(1);
    await rig.startServer();
    const intact = sessions.filter((session) => session.id !== altered.id).map((session) => session.id);
    await until('the intact sessions arrive', async () => {
      const remote = await serverHeads(rig);
      return intact.every((id) => remote.get(id)?.head === engine.store.getSession(id)!.head_seq);
    });
    await until('the altered session is refused', async () => {
      const status = await teamStatus(engine);
      return status.sessions.some((s) => s.session_id === altered.id && s.state === 'refused');
    });
    const status = await teamStatus(engine);
    expect(status).toMatchObject({ state: 'refused', refused: 1 });
    const refused = status.sessions.find((s) => s.session_id === altered.id)!;
    expect(refused.last_error).toMatch(/^422 bad_chain: seq \d+/);
    const alerts = await rig.serverQuery<{ kind: string; seq: string }>(
      'SELECT kind, seq FROM integrity_alerts WHERE session_id = $1',
      [altered.id],
    );
    expect(alerts).toEqual([{ kind: 'bad_chain', seq: String(event.seq) }]);
    // The server keeps none of its events (the refused batch changed nothing), however long it waits.
    expect((await serverHeads(rig)).get(altered.id)?.events ?? 0).toBe(0);
    await home.stop();
  }, 180_000);

  it('refuses a session row the protocol cannot carry, without retrying it, and mirrors the others', async () => {
    const home = await rig.home('alice');
    const engine = await home.start();
    await rig.server!.stop();
    await statements(home.pgUrl, 'odd-kind', 3);
    await statements(home.pgUrl, 'plain', 3);
    const sessions = engine.store.listSessions();
    const odd = sessions.find((session) => session.client === 'odd-kind')!;
    const plain = sessions.find((session) => session.client === 'plain')!;
    const db = new Database(`${home.home}/glassbox.db`);
    db.prepare("UPDATE sessions SET kind = 'ftp' WHERE id = ?").run(odd.id);
    db.close();
    await rig.startServer();
    await until(
      'the plain session arrives',
      async () => (await serverHeads(rig)).get(plain.id)?.head === plain.head_seq,
    );
    await until('the odd session is refused', async () => {
      const status = await teamStatus(engine);
      return status.sessions.some((s) => s.session_id === odd.id && s.state === 'refused');
    });
    const refused = (await teamStatus(engine)).sessions.find((s) => s.session_id === odd.id)!;
    expect(refused.last_error).toContain('a kind the protocol does not know (ftp)');
    expect((await serverHeads(rig)).get(odd.id)).toBeUndefined();
    await home.stop();
  }, 180_000);

  it('waits out a 429 for its Retry-After before sending again', async () => {
    // The server answers 429 only when its pool has 40 waiting requests, which one engine never makes: a small
    // proxy in front of the real server answers the first two batches 429 with Retry-After: 2.
    const requests: Array<{ at: number; method: string; status: number }> = [];
    let refusals = 2;
    const front = createServer((req, res) => {
      if (req.method === 'POST' && refusals > 0) {
        refusals--;
        req.resume();
        requests.push({ at: Date.now(), method: 'POST', status: 429 });
        res.writeHead(429, { 'retry-after': '2', 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'rate_limited', message: 'busy' }));
        return;
      }
      requests.push({ at: Date.now(), method: req.method ?? '', status: 0 });
      const upstream = httpRequest(
        { host: '127.0.0.1', port: rig.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    try {
      const home = await rig.home('alice', url);
      const engine = await home.start();
      await statements(home.pgUrl, 'rate-limited', 10);
      await untilMirrored(rig, engine);
      await expectExactlyOnce(engine);
      const limited = requests.filter((r) => r.status === 429);
      expect(limited).toHaveLength(2);
      for (const refusal of limited) {
        const next = requests.find((r) => r.at > refusal.at && r.method === 'POST' && r !== refusal);
        expect(next!.at - refusal.at).toBeGreaterThanOrEqual(2_000);
      }
      await home.stop();
    } finally {
      await new Promise<void>((resolve) => front.close(() => resolve()));
    }
  }, 180_000);

  it('stops sending a token the server answers 401, and sends again once signed in anew', async () => {
    // The real server, started for another audience: every token of this provider is refused (401).
    await rig.server!.stop();
    rig.server = await spawnTeamServer({
      databaseUrl: rig.serverPg.superuserUrl,
      issuer: rig.provider.issuer,
      audience: 'https://elsewhere.glassbox.test',
      port: rig.port,
    });
    const home = await rig.home('alice');
    const engine = await home.start();
    await statements(home.pgUrl, 'refused-token', 3);
    await until('the status says signed-out after a 401', async () => {
      const status = await teamStatus(engine);
      return status.state === 'signed-out' && /401/.test(status.last_error ?? '');
    });
    // The refused token is not sent again, however long it waits.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    // The mirror's requests only: the team policy's fetch and live follower ask the server too.
    const logs = rig.server.logs();
    const mirrorRequests = new Set(
      logs
        .filter((l) => /^\/v1\/sessions\//.test((l.req as { url?: string } | undefined)?.url ?? ''))
        .map((l) => l.reqId),
    );
    const refused = logs.filter(
      (l) =>
        mirrorRequests.has(l.reqId) && (l.res as { statusCode?: number } | undefined)?.statusCode === 401,
    );
    expect(refused).toHaveLength(1);
    await rig.server.stop();
    await rig.startServer();
    await signInForTest(rig.provider, home.home, 'alice');
    await untilMirrored(rig, engine);
    await expectExactlyOnce(engine);
    await home.stop();
  }, 180_000);

  it('says signed-out and sends nothing while nobody is signed in', async () => {
    const home = await rig.home(null);
    const engine = await home.start();
    await statements(home.pgUrl, 'nobody', 3);
    const id = [...localHeads(engine).keys()][0]!;
    await until('the status lists the session as behind, signed out', async () => {
      const status = await teamStatus(engine);
      return status.state === 'signed-out' && status.sessions.some((s) => s.session_id === id);
    });
    const status = await teamStatus(engine);
    expect(status.sessions).toContainEqual(
      expect.objectContaining({ session_id: id, state: 'behind', acked_seq: 0 }),
    );
    expect((await serverHeads(rig)).get(id)).toBeUndefined();
    await home.stop();
  }, 120_000);

  it('answers GET /api/team "off", not configured, on an engine without a team section', async () => {
    const test = await startTestEngine(rig.mock.url);
    try {
      expect(await teamStatus(test.engine)).toEqual({
        configured: false,
        url: null,
        state: 'off',
        sessions_behind: 0,
        events_behind: 0,
        refused: 0,
        last_success_at: null,
        last_error: null,
        sessions: [],
      });
    } finally {
      await test.cleanup();
    }
  });
});
