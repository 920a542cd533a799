import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseErrorFields } from '../../proxy/postgres/backend-messages.js';
import type { HeldQueueState } from '../../proxy/postgres/guard-gate.js';
import { BACKEND } from '../../proxy/postgres/messages.js';
import { Writer } from '../../proxy/postgres/wire.js';
import { waitFor } from '../helpers/cli.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { RawPgClient } from '../helpers/raw-pg.js';

const MiB = 1024 * 1024;
/** What the gate may queue behind a held statement: its 1 MiB cap and what one read of the socket brings. */
const BOUND = MiB + 256 * 1024;
/** What the client pipelines behind the held statement: 8 MiB of COPY data, 1 KiB a row. */
const ROWS = 8 * 1024;

const query = (sql: string) => new Writer().cstring(sql).frame('Q');

/** The replies up to and including the next ReadyForQuery, as type letters (errors as `E:<sqlstate>`). */
async function replies(client: RawPgClient): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const frame = await client.next(60_000);
    if (frame.type === BACKEND.NoticeResponse) continue;
    if (frame.type === BACKEND.ErrorResponse) seen.push(`E:${parseErrorFields(frame.body).C}`);
    else if (frame.type === BACKEND.ReadyForQuery) return [...seen, 'Z'];
    else if (frame.type === BACKEND.CommandComplete) seen.push(frame.body.subarray(0, -1).toString());
    else seen.push(String.fromCharCode(frame.type));
  }
}

/**
 * A client that keeps sending behind a statement held for approval (issue 17 review #4): the gate stops
 * reading it once about 1 MiB waits, instead of queueing whatever it sends for as long as a person takes.
 */
describe('the guard gate under a client that pipelines behind a held statement', () => {
  let setup: PgProxySetup;
  let direct: pg.Client;
  const states: HeldQueueState[] = [];

  beforeAll(async () => {
    // The built-in rules hold DELETE without WHERE for approval.
    setup = await startPgProxy({ guard: { onQueue: (state) => states.push(state) } });
    direct = new pg.Client(setup.pg.superuserUrl);
    await direct.connect();
    await direct.query('CREATE TABLE t (id int, pad text)');
  });
  afterAll(async () => {
    await direct?.end();
    await setup?.cleanup();
  });

  it('pauses the client at about 1 MiB queued, and resumes it once the statement is approved', async () => {
    const client = await RawPgClient.login(setup.port, setup.name, setup.localPassword, setup.pg.database);
    const row = `1\t${'x'.repeat(1021)}\n`;
    const copyData: Buffer[] = [];
    for (let i = 0; i < ROWS; i += 16)
      copyData.push(new Writer().bytes(Buffer.from(row.repeat(16))).frame('d'));
    const pipeline = Buffer.concat([
      query('DELETE FROM t'),
      query('COPY t FROM STDIN'),
      ...copyData,
      new Writer().frame('c'),
    ]);
    expect(pipeline.length).toBeGreaterThan(8 * MiB);
    let written = false;
    client.socket.write(pipeline, () => {
      written = true;
    });
    const broker = setup.test.engine.approvals;
    const id = await waitFor(() => broker.list()[0]?.id, 30_000, 'the approval');
    const most = () => Math.max(0, ...states.map((s) => s.bytes));
    // Either the gate paused the client, or (unbounded) it has queued well past its cap.
    await waitFor(() => states.some((s) => s.paused) || most() > 2 * MiB, 60_000, 'the queue to fill');
    expect(most()).toBeLessThanOrEqual(BOUND);
    expect(states.find((s) => s.paused)?.bytes).toBeGreaterThan(MiB);
    broker.decide(id, { approve: true, by: { os_user: 'approver', via: 'test' } });
    expect(await replies(client)).toEqual(['DELETE 0', 'Z']);
    expect(await replies(client)).toEqual(['G', `COPY ${ROWS}`, 'Z']);
    await waitFor(() => written, 30_000, 'the client to write everything');
    expect(states.at(-1)).toMatchObject({ bytes: 0, paused: false });
    expect(most()).toBeLessThanOrEqual(BOUND);
    expect((await direct.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: ROWS }]);
    client.close();
  });
});
