import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Writer } from '../../proxy/postgres/wire.js';
import { type GuardedProxy, idsIn, startGuardedProxy } from '../helpers/pg-guard.js';
import { RawPgClient } from '../helpers/raw-pg.js';

const BY = { os_user: 'approver', via: 'test' };

/**
 * Statements the server reads otherwise than as UTF-8 text with standard strings (a review found both let a
 * DELETE through as a "read"): after `SET standard_conforming_strings = off` a backslash moves a literal's
 * end, and in SJIS a backslash byte can be the second half of a character. Such statements are classified
 * as unknown, so the default rule holds them; the database keeps its rows until someone decides.
 */
describe('the guard reads statements as the server will', () => {
  let g: GuardedProxy;

  beforeAll(async () => {
    g = await startGuardedProxy();
  });
  afterAll(async () => {
    await g?.cleanup();
  });
  beforeEach(async () => {
    await g.direct.query(
      'DROP TABLE IF EXISTS t; CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2), (3)',
    );
  });

  it('holds a statement whose literal ends elsewhere with standard_conforming_strings off', async () => {
    const client = new pg.Client({ connectionString: g.setup.url });
    await client.connect();
    client.on('notice', () => undefined);
    try {
      await client.query('SET standard_conforming_strings = off');
      const sneaky = client.query("SELECT '\\' || $$'; DELETE FROM t; --$$").catch((error: Error) => error);
      const id = await g.nextPending();
      expect(g.broker.get(id)).toMatchObject({ subject: { rule: { id: 'pg.unknown' } } });
      expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
      g.broker.decide(id, { approve: false, reason: 'no', by: BY });
      expect(await sneaky).toMatchObject({ code: '42501' });
      expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
      // With standard strings back on, the same text is one harmless SELECT again.
      await client.query('SET standard_conforming_strings = on');
      expect((await client.query("SELECT '\\' || 'x' AS v")).rows).toEqual([{ v: '\\x' }]);
    } finally {
      await client.end();
    }
  });

  it('holds a non-ASCII statement in a client_encoding other than UTF-8 (SJIS swallowing a backslash)', async () => {
    const url = new URL(g.setup.url);
    const client = await RawPgClient.login(
      Number(url.port),
      decodeURIComponent(url.username),
      decodeURIComponent(url.password),
      url.pathname.slice(1),
    );
    try {
      client.socket.write(new Writer().cstring("SET client_encoding TO 'SJIS'").frame('Q'));
      for (let frame = await client.next(); frame.type !== 0x5a; frame = await client.next()); // ReadyForQuery
      // 0x95 0x5c is one SJIS character: the server sees E'…' end at the last quote, so the DELETE runs.
      const sql = Buffer.concat([
        Buffer.from("SELECT E'"),
        Buffer.from([0x95, 0x5c]),
        Buffer.from("' ; DELETE FROM t; -- '"),
      ]);
      client.socket.write(new Writer().bytes(sql).int8(0).frame('Q'));
      const id = await g.nextPending();
      expect(g.broker.get(id)).toMatchObject({ subject: { rule: { id: 'pg.unknown' } } });
      expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
      g.broker.decide(id, { approve: false, reason: 'no', by: BY });
      expect((await client.error()).C).toBe('42501');
      expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
    } finally {
      client.close();
    }
  });
});
