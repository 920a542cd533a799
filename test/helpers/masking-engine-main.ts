/**
 * A Glassbox engine in a process of its own with a test masking policy (masking-policy.ts), for measuring its
 * memory and speed apart from the clients. Usage: masking-engine-main.ts HOME RULES_JSON, where RULES_JSON is a
 * TestColumnRule[]. Prints `READY` when listening; stops cleanly on SIGTERM.
 */
import { loadConfig } from '../../proxy/config.js';
import { Engine } from '../../proxy/engine.js';
import { type TestColumnRule, testMaskingPolicy } from './masking-policy.js';

const [home, rulesJson] = process.argv.slice(2);
if (!home || !rulesJson) throw new Error('usage: masking-engine-main.ts HOME RULES_JSON');
const policy = testMaskingPolicy(JSON.parse(rulesJson) as TestColumnRule[]);
const config = loadConfig(home, { anthropicPort: 0, apiPort: 0, anthropicUpstream: 'http://127.0.0.1:9' });
config.shutdownGraceMs = 200;
const engine = await Engine.start({ home, config, pgMasking: () => policy });
process.stdout.write('READY\n');
process.once('SIGTERM', () => {
  engine.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
