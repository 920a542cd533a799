/**
 * The auditors' read API against the real server bin, a real PostgreSQL and tokens from a real OIDC provider:
 * sessions mirrored by three people (Claude sessions with Messages requests and replies, PostgreSQL sessions
 * with statements), then listed and searched by person, group and text, paged through with keyset cursors
 * while more arrive, read by a non-auditor (own sessions only, others 404), and read in pages. The server's
 * verification and exports are in read-verify.test.ts; the mirrored sessions in helpers/team-read-rig.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPage, Me, SearchPage, ServerSession, SessionPage } from '../../../proxy/sync/protocol.js';
import { getAs, mirrorSession, type ReadRig, startReadRig, T0 } from '../../helpers/team-read-rig.js';
import type { TeamSetup } from '../../helpers/team-server.js';
import { postgresSession } from '../../helpers/team-sessions.js';

let rig: ReadRig;
let team: TeamSetup;

const mirror = (...args: Parameters<typeof mirrorSession> extends [ReadRig, ...infer R] ? R : never) =>
  mirrorSession(rig, ...args);
const get = <T>(path: string, login: string) => getAs<T>(rig, path, login);

const ids = (page: SessionPage) => page.sessions.map((s) => s.id).sort();

beforeAll(async () => {
  rig = await startReadRig();
  team = rig.team;
}, 180_000);
afterAll(async () => {
  await team?.stop();
});

describe('read API', () => {
  it('says who the token names and what they may do', async () => {
    const alice = await get<Me>('/v1/me', 'alice');
    expect(alice.body).toMatchObject({
      subject: 'alice',
      email: 'alice@example.test',
      auditor: true,
      groups: ['engineering', 'auditors'],
    });
    const bob = await get<Me>('/v1/me', 'bob');
    expect(bob.body).toMatchObject({ subject: 'bob', auditor: false, approver_groups: ['db-approvers'] });
  });

  it('lets an auditor list everyone and filter by person, group, target, kind, time and text', async () => {
    const all = await get<SessionPage>('/v1/sessions', 'alice');
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual(['ALICECLAUDE1', 'ALICEPG1', 'BOBCLAUDE1', 'BOBPG1', 'CAROLCLAUDE1']);
    expect(all.body.sessions.map((s) => s.id)).toEqual([
      'CAROLCLAUDE1',
      'BOBPG1',
      'BOBCLAUDE1',
      'ALICEPG1',
      'ALICECLAUDE1',
    ]);
    const bobsByEmail = await get<SessionPage>('/v1/sessions?person=BOB@Example.TEST', 'alice');
    expect(ids(bobsByEmail.body)).toEqual(['BOBCLAUDE1', 'BOBPG1']);
    const bobsBySubject = await get<SessionPage>('/v1/sessions?person=bob', 'alice');
    expect(ids(bobsBySubject.body)).toEqual(['BOBCLAUDE1', 'BOBPG1']);
    const approvers = await get<SessionPage>('/v1/sessions?group=db-approvers', 'alice');
    expect(ids(approvers.body)).toEqual(['BOBCLAUDE1', 'BOBPG1']);
    const engineering = await get<SessionPage>('/v1/sessions?group=engineering&kind=postgres', 'alice');
    expect(ids(engineering.body)).toEqual(['ALICEPG1']);
    const target = await get<SessionPage>('/v1/sessions?target=app%2Fappdb', 'alice');
    expect(ids(target.body)).toEqual(['ALICEPG1', 'BOBPG1']);
    const window = await get<SessionPage>(
      `/v1/sessions?from=${T0 + 10_000_000}&to=${T0 + 30_000_000}`,
      'alice',
    );
    expect(ids(window.body)).toEqual(['ALICEPG1', 'BOBCLAUDE1']);
    // Text: a prompt (Claude) and SQL (PostgreSQL) both mention invoices; a tool call's command is indexed too.
    const invoices = await get<SessionPage>('/v1/sessions?q=invoices', 'alice');
    expect(ids(invoices.body)).toEqual(['ALICECLAUDE1', 'ALICEPG1']);
    const kubectl = await get<SessionPage>('/v1/sessions?q=kubectl', 'alice');
    expect(ids(kubectl.body)).toEqual(['BOBCLAUDE1']);
    const phrase = await get<SessionPage>('/v1/sessions?q=%22staging+certificates%22+-invoices', 'alice');
    expect(ids(phrase.body)).toEqual(['BOBCLAUDE1']);
    const one = await get<ServerSession>('/v1/sessions/BOBPG1', 'alice');
    expect(one.body).toMatchObject({
      id: 'BOBPG1',
      owner: { subject: 'bob', email: 'bob@example.test', groups: ['db-approvers'] },
      kind: 'postgres',
      head_seq: 2,
      alerts: 0,
    });
  });

  it('finds matching events with a snippet, by text and person', async () => {
    const found = await get<SearchPage>('/v1/search?q=certificates', 'alice');
    expect(found.status).toBe(200);
    expect(found.body.matches).toHaveLength(1);
    expect(found.body.matches[0]).toMatchObject({
      session_id: 'BOBCLAUDE1',
      seq: 1,
      kind: 'http.request',
      owner: { subject: 'bob', email: 'bob@example.test' },
    });
    expect(found.body.matches[0]!.snippet).toContain('Rotate the staging certificates');
    const sql = await get<SearchPage>('/v1/search?q=overdue', 'alice');
    expect(sql.body.matches.map((m) => [m.session_id, m.seq, m.kind])).toEqual([
      ['ALICEPG1', 1, 'pg.statement'],
    ]);
    expect(sql.body.matches[0]!.snippet).toContain("status = 'overdue'");
    const alicesOnly = await get<SearchPage>('/v1/search?q=invoices&person=alice', 'alice');
    expect(new Set(alicesOnly.body.matches.map((m) => m.session_id))).toEqual(
      new Set(['ALICECLAUDE1', 'ALICEPG1']),
    );
    const bobsOnly = await get<SearchPage>('/v1/search?q=invoices&person=bob', 'alice');
    expect(bobsOnly.body.matches).toEqual([]);
  });

  it('shows a non-auditor only their own sessions; others are not found', async () => {
    const own = await get<SessionPage>('/v1/sessions', 'bob');
    expect(ids(own.body)).toEqual(['BOBCLAUDE1', 'BOBPG1']);
    expect(ids((await get<SessionPage>('/v1/sessions?person=alice', 'bob')).body)).toEqual([]);
    expect(ids((await get<SessionPage>('/v1/sessions?q=invoices', 'bob')).body)).toEqual([]);
    expect((await get<SearchPage>('/v1/search?q=invoices', 'bob')).body.matches).toEqual([]);
    for (const path of [
      '/v1/sessions/ALICEPG1',
      '/v1/sessions/ALICEPG1/events',
      '/v1/sessions/ALICEPG1/verify',
      '/v1/sessions/ALICEPG1/export?format=sql',
    ]) {
      const answer = await get<{ error: string; message: string }>(path, 'bob');
      expect(answer.status, path).toBe(404);
      // The same answer as for a session that does not exist: nothing tells them it does.
      const missing = await get<{ error: string; message: string }>(
        path.replace('ALICEPG1', 'NOSUCHID'),
        'bob',
      );
      expect(missing.status).toBe(404);
      expect(answer.body.error).toBe(missing.body.error);
    }
    expect((await get<ServerSession>('/v1/sessions/BOBPG1', 'bob')).status).toBe(200);
    const alerts = await get<{ error: string }>('/v1/alerts', 'bob');
    expect(alerts.status).toBe(403);
    expect((await get<{ alerts: unknown[] }>('/v1/alerts', 'alice')).status).toBe(200);
  });

  it('answers bad parameters with 400 naming the parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/v1/sessions?limit=0', /limit/],
      ['/v1/sessions?limit=201', /limit/],
      ['/v1/sessions?from=yesterday', /from/],
      ['/v1/sessions?kind=ftp', /kind/],
      ['/v1/sessions?cursor=not-a-cursor', /cursor/],
      ['/v1/sessions?q=%21%21%21', /\bq\b/],
      ['/v1/search', /\bq\b/],
      ['/v1/sessions/ALICEPG1/events?after=-1', /after/],
      ['/v1/sessions/ALICEPG1/export?format=pdf', /format/],
      ['/v1/sessions/ALICEPG1/export?format=har', /format/],
    ];
    for (const [path, named] of cases) {
      const answer = await get<{ error: string; message: string }>(path, 'alice');
      expect(answer.status, path).toBe(400);
      expect(answer.body.error, path).toBe('invalid_request');
      expect(answer.body.message, path).toMatch(named);
    }
  });

  it('pages through more sessions than a page holds: none repeated, none missed, while more arrive', async () => {
    // 23 sessions of dave's, some started at the same µs (the id breaks the tie).
    const expected: string[] = [];
    for (let i = 0; i < 23; i++) {
      const id = `DAVE${String(i).padStart(3, '0')}`;
      const start = T0 + 100_000_000 + Math.floor(i / 2) * 1_000_000;
      await mirror('dave', id, 'postgres', postgresSession([`SELECT ${i} AS page_probe`], start), start);
      expected.push(id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/v1/sessions?person=dave&limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await get<SessionPage>(query, 'alice');
      expect(page.status).toBe(200);
      expect(page.body.sessions.length).toBeLessThanOrEqual(5);
      seen.push(...page.body.sessions.map((s) => s.id));
      cursor = page.body.next_cursor;
      pages++;
      if (pages === 2) {
        // Sessions arriving between pages: a newer one (before the cursor) and an older one (after it).
        await mirror(
          'dave',
          'DAVENEWER',
          'postgres',
          postgresSession(['SELECT 1'], T0 + 900_000_000),
          T0 + 900_000_000,
        );
        await mirror(
          'dave',
          'DAVEOLDER',
          'postgres',
          postgresSession(['SELECT 2'], T0 + 1_000_000),
          T0 + 1_000_000,
        );
      }
    } while (cursor);
    expect(pages).toBeGreaterThanOrEqual(5);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => expected.includes(id)).sort()).toEqual(expected.sort());
    expect(seen).toContain('DAVEOLDER');
    expect(seen).not.toContain('DAVENEWER');

    // Events too, as dave (his own sessions: searched sessions first) and as an auditor (newest first,
    // then text first when the walk runs out).
    for (const login of ['dave', 'alice']) {
      const matches: string[] = [];
      let searchCursor: string | null = null;
      do {
        const query: string = `/v1/search?q=page_probe&limit=4${searchCursor ? `&cursor=${encodeURIComponent(searchCursor)}` : ''}`;
        const page = await get<SearchPage>(query, login);
        expect(page.status).toBe(200);
        matches.push(...page.body.matches.map((m) => `${m.session_id}/${m.seq}`));
        searchCursor = page.body.next_cursor;
      } while (searchCursor);
      expect(matches.sort(), login).toEqual(expected.map((id) => `${id}/1`).sort());
    }
  });

  it('reads a session’s events in pages', async () => {
    const first = await get<EventPage>('/v1/sessions/ALICECLAUDE1/events?limit=3', 'alice');
    expect(first.body.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(first.body.next_after).toBe(3);
    const rest = await get<EventPage>('/v1/sessions/ALICECLAUDE1/events?after=3&limit=3', 'alice');
    expect(rest.body.events.map((e) => e.seq)).toEqual([4]);
    expect(rest.body.next_after).toBeNull();
    expect(first.body.events[1]).toMatchObject({ kind: 'llm.turn', payload: { request_seq: 1 } });
  });
});
