/**
 * A team policy whose globs would take polynomial time to match (a crafted or careless `*a*a*a*b`: minimatch
 * and the column globs backtrack, 33 s for one 1,000-character word on this machine) is refused where the
 * document is read — by the real server bin at `--team-policy` (it does not start on it) and, through the same
 * parser, by every engine it would be served to — like the local policy's custom regular expressions are.
 * Real server bin, real PostgreSQL, real provider.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcProvider, type TestOidcProvider } from '../../helpers/oidc-provider.js';
import { type PgServer, startPostgres } from '../../helpers/postgres.js';
import { spawnTeamServer, TEAM_AUDIENCE } from '../../helpers/team-server.js';

let db: PgServer;
let provider: TestOidcProvider;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'glassbox-team-globs-'));
  db = await startPostgres();
  provider = await startOidcProvider({ apiResource: { indicator: TEAM_AUDIENCE } });
}, 180_000);
afterAll(async () => {
  await provider?.close();
  await db?.stop();
});

/** Starts the real server on `document` as its team policy; resolves to why it did not start (or stops it). */
async function startOn(document: unknown): Promise<string> {
  const file = join(dir, `policy-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(document));
  try {
    const server = await spawnTeamServer({
      databaseUrl: db.superuserUrl,
      issuer: provider.issuer,
      args: ['--team-policy', file],
    });
    await server.stop();
    return 'started';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('a team policy with globs that backtrack', () => {
  it('is refused in a guard rule, naming the field', async () => {
    const why = await startOn({
      guardrails: {
        rules: [
          {
            id: 'team.slow',
            action: 'block',
            message: 'no',
            match: { sql: { command: ['*a*a*a*a*a*a*a*b'] } },
          },
        ],
      },
    });
    expect(why).toMatch(/did not start/);
    expect(why).toMatch(/command/);
    expect(why).toMatch(/wildcards/);
  }, 120_000);

  it('is refused in a column rule', async () => {
    const why = await startOn({ columns: [{ match: '*a*a*a*a*a*b', action: 'none' }] });
    expect(why).toMatch(/did not start/);
    expect(why).toMatch(/wildcards/);
  }, 120_000);

  it('as is a brace pattern that expands into thousands of globs', async () => {
    const why = await startOn({
      guardrails: {
        rules: [
          {
            id: 'team.braces',
            action: 'block',
            message: 'no',
            match: { sql: { command: ['{a,b}'.repeat(20)] } },
          },
        ],
      },
    });
    expect(why).toMatch(/did not start/);
    expect(why).toMatch(/\{…\}/);
  }, 120_000);

  it('while the usual globs still start the server', async () => {
    const why = await startOn({
      columns: [{ match: 'public.*.*secret*key*', action: 'none' }],
      guardrails: {
        rules: [
          {
            id: 'team.ok',
            action: 'block',
            message: 'no',
            match: { sql: { command: ['DROP *', 'TRUNCATE*'], tables: ['public.*', '*.orders'] } },
          },
          {
            id: 'team.paths',
            action: 'flag',
            message: 'look',
            match: { file: { paths: ['~/.ssh/**', '**/.env*', '{src,lib}/**/*.pem'] } },
          },
        ],
      },
    });
    expect(why).toBe('started');
  }, 120_000);
});
