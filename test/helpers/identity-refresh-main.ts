/**
 * One process of a refresh race. Usage: identity-refresh-main.ts HOME SETTINGS_JSON. Reads the home's tokens
 * and prints `READY`, then waits for a line on stdin (the test releases every process at once), refreshes
 * (refresh.ts `refreshSignIn`, not forced) and prints `DONE <result> <refresh token fingerprint>`, the
 * fingerprint of what the store holds afterwards (never the token).
 */
import { createInterface } from 'node:readline';
import { tokenFingerprint } from '../../proxy/identity/fingerprint.js';
import { refreshSignIn } from '../../proxy/identity/refresh.js';
import { readSignInState } from '../../proxy/identity/sign-in-state.js';
import { storeForState } from '../../proxy/identity/token-store.js';
import type { IdentitySettings } from '../../proxy/identity/types.js';

const [home, settingsJson] = process.argv.slice(2);
if (!home || !settingsJson) throw new Error('usage: identity-refresh-main.ts HOME SETTINGS_JSON');
const settings = JSON.parse(settingsJson) as IdentitySettings;
// Load everything refreshSignIn needs before the start line, so the processes start refreshing together.
storeForState(home, readSignInState(home), process.env)?.read();
const lines = createInterface({ input: process.stdin });
process.stdout.write('READY\n');
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();
const outcome = await refreshSignIn({ home, settings });
const stored = storeForState(home, readSignInState(home), process.env)?.read();
const fingerprint = stored?.refresh_token ? tokenFingerprint(stored.refresh_token) : 'none';
process.stdout.write(`DONE ${outcome.result} ${fingerprint}\n`);
