/**
 * An engine in a process of its own holding one pending approval, for tests that kill it (kill -9) and
 * start again. Usage: approval-engine-main.ts HOME. Prints `PENDING <approval id> <session id>` once the
 * request is recorded, then waits to be killed.
 */
import { loadConfig } from '../../proxy/config.js';
import { Engine } from '../../proxy/engine.js';
import { sqlSubject } from './approvals.js';

const [home] = process.argv.slice(2);
if (!home) throw new Error('usage: approval-engine-main.ts HOME');
const config = loadConfig(home, { anthropicPort: 0, apiPort: 0, anthropicUpstream: 'http://127.0.0.1:9' });
const engine = await Engine.start({ home, config });
const subject = sqlSubject(engine.store, 'DELETE FROM orders');
const { approval } = engine.approvals.request(subject);
process.stdout.write(`PENDING ${approval.id} ${subject.session_id}\n`);
setInterval(() => undefined, 60_000);
