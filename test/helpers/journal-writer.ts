/**
 * Child process for the journal tests: opens a store with a write-ahead journal under argv[2], creates one
 * session, appends argv[3] events in batches of 10 (each with stats and searchable text), reports the session
 * id and the hash its last event must get (computed here, independently of the store, from what was appended)
 * on stdout as JSON, then kills itself with SIGKILL — so whatever SQLite had not applied
 * yet exists only in the journal.
 */
import { join } from 'node:path';
import { canonicalJson } from '../../proxy/common/canonical-json.js';
import { chainHash } from '../../proxy/store/chain.js';
import { Store } from '../../proxy/store/store.js';
import { TEST_IDENTITY } from './identity.js';

const [home, countText] = process.argv.slice(2);
if (!home || !countText) throw new Error('usage: journal-writer HOME COUNT');
// A long apply delay keeps most writes in the journal only, which is what the tests want to replay.
const store = Store.open(join(home, 'glassbox.db'), {
  journalDir: join(home, 'journal'),
  applyDelayMs: 60_000,
});
const session = store.createSession({
  kind: 'postgres',
  target: 'journal-test',
  client: 'writer',
  identity: TEST_IDENTITY,
  external_id: null,
});
let last = session.id;
const count = Number(countText);
for (let i = 0; i < count; i += 10) {
  store.batch(() => {
    for (let j = i; j < Math.min(i + 10, count); j++) {
      const payload = { sql: `SELECT ${j} AS journal_word_${j}` };
      const { seq, ts } = store.append(session.id, 'pg.statement', payload, {
        stats: { statements: 1 },
        text: `journal_word_${j}`,
      });
      last = chainHash(last, seq, ts, 'pg.statement', canonicalJson(payload));
    }
  });
}
process.stdout.write(`${JSON.stringify({ session: session.id, last, stats: store.ingestStats })}\n`, () =>
  process.kill(process.pid, 'SIGKILL'),
);
