import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseErrorFields } from '../../proxy/postgres/backend-messages.js';
import { BACKEND } from '../../proxy/postgres/messages.js';
import { Writer } from '../../proxy/postgres/wire.js';
import { waitFor } from '../helpers/cli.js';
import { type GuardedProxy, idsIn, startGuardedProxy } from '../helpers/pg-guard.js';
import { RawPgClient } from '../helpers/raw-pg.js';

const BY = { os_user: 'approver', via: 'test' };

/** Parse (unnamed), Bind (unnamed portal, no parameters) and Execute of `sql` (PostgreSQL docs, 55.7). */
function run(sql: string): Buffer {
  return Buffer.concat([
    new Writer().cstring('').cstring(sql).int16(0).frame('P'),
    new Writer().cstring('').cstring('').int16(0).int16(0).int16(0).frame('B'),
    new Writer().cstring('').int32(0).frame('E'),
  ]);
}
const SYNC = new Writer().frame('S');
const query = (sql: string) => new Writer().cstring(sql).frame('Q');

/** The replies up to and including the next ReadyForQuery, as type letters (errors as `E:<sqlstate>`). */
async function replies(client: RawPgClient): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const frame = await client.next(10_000);
    if (frame.type === BACKEND.NoticeResponse) continue;
    const letter = String.fromCharCode(frame.type);
    if (frame.type === BACKEND.ErrorResponse) seen.push(`E:${parseErrorFields(frame.body).C}`);
    else if (frame.type === BACKEND.ReadyForQuery) {
      seen.push(`Z:${String.fromCharCode(frame.body[0]!)}`);
      return seen;
    } else seen.push(letter);
  }
}

/**
 * Raw protocol messages through Glassbox under a real policy.json (a `test.no-drop` block rule, then the
 * built-in rules), decided by the engine's guard and approval broker.
 */
describe('the guard at the protocol level', () => {
  let g: GuardedProxy;
  let client: RawPgClient;

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
    client = await RawPgClient.login(g.setup.port, g.setup.name, g.setup.localPassword, g.setup.pg.database);
  });

  it('a blocked statement mid-batch fails the batch: the server skips to Sync and rolls back what ran', async () => {
    client.socket.write(
      Buffer.concat([
        run('INSERT INTO t VALUES (10)'),
        run('DROP TABLE t'),
        run('INSERT INTO t VALUES (11)'),
        SYNC,
      ]),
    );
    expect(await replies(client)).toEqual(['1', '2', 'C', '1', '2', 'E:42501', 'Z:I']);
    expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
    client.socket.write(query('SELECT 1'));
    expect(await replies(client)).toEqual(['T', 'D', 'C', 'Z:I']);
    client.close();
  });

  it('a denied statement makes the holds behind it in its batch moot (withdrawn), and the batch fails', async () => {
    client.socket.write(
      Buffer.concat([run('DELETE FROM t'), run('INSERT INTO t VALUES (12)'), run('DELETE FROM t'), SYNC]),
    );
    const first = await g.nextPending();
    const second = await g.nextPending();
    expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
    g.broker.decide(first, { approve: false, reason: 'no', by: BY });
    expect(await replies(client)).toEqual(['1', '2', 'E:42501', 'Z:I']);
    expect(g.broker.get(second)!.status).toBe('withdrawn');
    expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
    client.close();
  });

  it('simple queries pipelined behind a held one wait for it, then run in order', async () => {
    client.socket.write(Buffer.concat([query('DELETE FROM t'), query('INSERT INTO t VALUES (7)')]));
    const id = await g.nextPending();
    // Give the insert every chance to overtake: it must not.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
    g.broker.decide(id, { approve: false, reason: 'keep them', by: BY });
    expect(await replies(client)).toEqual(['E:42501', 'Z:I']);
    expect(await replies(client)).toEqual(['C', 'Z:I']);
    expect(await idsIn(g.direct)).toEqual([1, 2, 3, 7]);
    client.close();
  });

  it('a malformed message while a statement is held ends the session with 08P01 and withdraws the approval', async () => {
    client.socket.write(query('DELETE FROM t'));
    const id = await g.nextPending();
    client.socket.write(Buffer.from([0x42, 0, 0, 0, 6, 0x41, 0x42])); // a Bind with an unterminated name
    const error = await client.error();
    expect(error).toMatchObject({ S: 'FATAL', C: '08P01' });
    await client.waitClosed();
    await waitFor(() => g.broker.get(id)!.status === 'withdrawn', 10_000, 'the withdrawal');
    expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
  });
});
