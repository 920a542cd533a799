/**
 * The mirror and the store's asynchronous apply: sessions written just before the mirror starts (the engine
 * records the policy in force before it starts its mirror, proxy/policy/policy-record.ts) were announced by
 * the change feed before the mirror subscribed, and SQLite, which the mirror scans on its own connection, may
 * not hold them yet. The mirror's scan must see every write made before it (MirrorOptions.settle), or they wait
 * for the next full rescan (30 s by default; an hour here, so a missed session never arrives).
 * Real parts: the store on a real SQLite file with its apply worker, the real server bin on Debian's
 * PostgreSQL, an access token from the real OIDC provider.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../../proxy/store/store.js';
import { Mirror } from '../../../proxy/sync/mirror.js';
import { startTeamSetup, type TeamSetup } from '../../helpers/team-server.js';

let team: TeamSetup;
let home: string;
let store: Store;
let mirror: Mirror;

beforeAll(async () => {
  team = await startTeamSetup({ accessTokenTtl: 900 });
  home = mkdtempSync(join(tmpdir(), 'gb-mirror-unapplied-'));
  store = Store.open(join(home, 'glassbox.db'), { journalDir: join(home, 'journal') });
}, 120_000);
afterAll(async () => {
  await mirror?.stop();
  store?.close();
  await team?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
}, 60_000);

describe('sessions written just before the mirror starts', () => {
  it('arrive on the server without waiting for a rescan', async () => {
    const token = await team.tokenFor('alice');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const session = store.createSession({
        kind: 'http',
        target: 'glassbox',
        client: 'test',
        identity: {
          subject: 'alice',
          email: 'alice@example.test',
          groups: [],
          verified: true,
          os_user: 'dev',
          host: 'laptop',
        },
        external_id: null,
      });
      store.append(session.id, 'policy.changed', { n: i });
      store.endSession(session.id, 'recorded');
      ids.push(session.id);
    }
    mirror = new Mirror({
      databasePath: join(home, 'glassbox.db'),
      team: { url: team.server.url, token: 'access_token', mirror: true },
      changes: (listener) => store.subscribe(listener),
      settle: () => store.settle(),
      bearer: { bearer: () => token },
      rescanMs: 3_600_000,
    });
    await mirror.start();
    const db = new pg.Client({ connectionString: team.pg.superuserUrl });
    await db.connect();
    try {
      await expect
        .poll(
          async () =>
            (
              await db.query<{ id: string }>('SELECT id FROM sessions WHERE id = ANY($1) AND head_seq = 2', [
                ids,
              ])
            ).rows.length,
          { timeout: 60_000 },
        )
        .toBe(ids.length);
    } finally {
      await db.end();
    }
  }, 120_000);
});
