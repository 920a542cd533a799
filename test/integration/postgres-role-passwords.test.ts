import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/cli.js';
import { filesUnder } from '../helpers/files.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { collectOutput } from '../helpers/process.js';

/**
 * Role passwords sent through the proxy, in every spelling PostgreSQL accepts, must reach the server and never
 * the data directory (journal, SQLite database and its WAL, full-text index): DESIGN.md promise 2.
 */

/** A fresh password: lower-case letters and digits only, so the full-text index keeps it as one term. */
const secret = () => `k${randomBytes(12).toString('hex')}`;

interface Spelling {
  name: string;
  /** The statements to send (each one Query), given the role name and the password. */
  sql: (role: string, password: string) => string[];
  /** What the server then holds as the password (default: the password itself). */
  stored?: (password: string) => string;
  /** PostgreSQL refuses it: nothing to log in with, but it is recorded all the same. */
  refused?: boolean;
}

/** `\\00XX` escapes for a U& string, `\\xXX` for an E string: the first character spelt as its code. */
const hex = (ch: string) => ch.charCodeAt(0).toString(16).padStart(2, '0');

const SPELLINGS: Spelling[] = [
  { name: 'standard string', sql: (r, p) => [`CREATE ROLE ${r} LOGIN PASSWORD '${p}'`] },
  { name: 'dollar quotes', sql: (r, p) => [`CREATE ROLE ${r} LOGIN PASSWORD $$${p}$$`] },
  { name: 'tagged dollar quotes', sql: (r, p) => [`CREATE ROLE ${r} LOGIN PASSWORD $tag$${p}$tag$`] },
  { name: 'U& string', sql: (r, p) => [`CREATE ROLE ${r} LOGIN PASSWORD U&'${p}'`] },
  {
    name: 'U& string with an escape',
    sql: (r, p) => [`CREATE ROLE ${r} LOGIN PASSWORD U&'\\00${hex(p)}${p.slice(1)}'`],
  },
  {
    name: 'U& string with UESCAPE',
    sql: (r, p) => [`CREATE ROLE ${r} LOGIN PASSWORD U&'!00${hex(p)}${p.slice(1)}' UESCAPE '!'`],
  },
  { name: 'E string', sql: (r, p) => [`CREATE ROLE ${r} LOGIN PASSWORD E'\\x${hex(p)}${p.slice(1)}'`] },
  { name: 'block comment', sql: (r, p) => [`CREATE ROLE ${r} LOGIN PASSWORD /* c */ '${p}'`] },
  {
    name: 'nested block comment',
    sql: (r, p) => [`CREATE ROLE ${r} LOGIN PASSWORD /* a /* b */ c */ '${p}'`],
  },
  { name: 'line comment', sql: (r, p) => [`CREATE ROLE ${r} LOGIN PASSWORD -- c\n '${p}'`] },
  {
    name: 'string continued over a newline',
    sql: (r, p) => [`CREATE ROLE ${r} LOGIN PASSWORD '${p.slice(0, 12)}'\n  '${p.slice(12)}'`],
  },
  { name: 'lower case', sql: (r, p) => [`create role ${r} login password '${p}'`] },
  { name: 'mixed case, WITH', sql: (r, p) => [`CrEaTe UsEr ${r} WiTh PaSsWoRd '${p}'`] },
  {
    name: 'ENCRYPTED PASSWORD among other options',
    sql: (r, p) => [
      `CREATE USER ${r} WITH CREATEDB ENCRYPTED PASSWORD '${p}' VALID UNTIL 'infinity' CONNECTION LIMIT 3`,
    ],
  },
  {
    name: 'ALTER ROLE … WITH PASSWORD',
    sql: (r, p) => [`CREATE ROLE ${r} LOGIN`, `ALTER ROLE ${r} WITH PASSWORD $$${p}$$`],
  },
  {
    name: 'ALTER USER in a multi-statement Query',
    sql: (r, p) => [`SELECT 1; CREATE ROLE ${r} LOGIN; ALTER USER ${r} PASSWORD '${p}'; SELECT 'after'`],
  },
  { name: 'CREATE GROUP', sql: (r, p) => [`CREATE GROUP ${r} PASSWORD '${p}'`] },
  {
    name: 'standard_conforming_strings off',
    sql: (r, p) => [
      'SET standard_conforming_strings = off',
      `CREATE ROLE ${r} LOGIN PASSWORD 'x\\'${p}'`,
      'RESET standard_conforming_strings',
    ],
    stored: (p) => `x'${p}`,
  },
  {
    name: 'DO block',
    sql: (r, p) => [`DO $$ BEGIN CREATE ROLE ${r} LOGIN PASSWORD '${p}'; END $$`],
  },
  {
    name: 'DO block with EXECUTE',
    sql: (r, p) => [`DO $do$ BEGIN EXECUTE 'CREATE ROLE ${r} LOGIN PASSWORD ''${p}'''; END $do$`],
  },
  { name: 'double quotes (refused)', sql: (r, p) => [`CREATE ROLE ${r} PASSWORD "${p}"`], refused: true },
  {
    name: 'constants separated by a comment (refused)',
    sql: (r, p) => [`CREATE ROLE ${r} PASSWORD '${p.slice(0, 12)}' /* x */ '${p.slice(12)}'`],
    refused: true,
  },
];

/**
 * The secret's pieces that must appear nowhere: itself, and its first and last 12 characters (a spelling may
 * split it in two; an index may store a term prefix-compressed).
 */
const pieces = (password: string) => [password, password.slice(0, 12), password.slice(-12)];

/** `[file, piece]` for every piece found in a file under `home`, case-insensitively. */
function leaks(home: string, secrets: string[]): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  for (const file of filesUnder(home)) {
    const text = readFileSync(file).toString('latin1').toLowerCase();
    for (const piece of secrets) if (text.includes(piece.toLowerCase())) found.push([file, piece]);
  }
  return found;
}

describe('role passwords through the PostgreSQL proxy', () => {
  let setup: PgProxySetup;
  let admin: pg.Client;
  let roles = 0;

  beforeAll(async () => {
    // Not about guardrails: DO blocks and SQL the parser refuses are held for approval by the default policy.
    setup = await startPgProxy({ policy: { version: 1, guardrails: { enabled: false } } });
    admin = new pg.Client({ connectionString: setup.pg.superuserUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await setup?.cleanup();
  });

  /** Statements recorded so far, across sessions. */
  const recordedSql = () => {
    const store = setup.test.engine.store;
    return store
      .allSessionIds()
      .flatMap((id) => store.listEvents(id, 0, 10_000))
      .filter((e) => e.kind === 'pg.statement')
      .map((e) => String((e.payload as { sql: unknown }).sql));
  };

  /** Waits until every statement sent is in SQLite (so the database and its WAL are searched too). */
  const recorded = (statements: string[]) =>
    waitFor(() => recordedSql().length >= statements.length, 10_000, 'the statements to be recorded');

  /** Logs in to the real server directly as `role`: proof the spelling set that password. */
  async function logsIn(role: string, password: string): Promise<boolean> {
    const client = new pg.Client({
      host: setup.pg.host,
      port: setup.pg.port,
      database: setup.pg.database,
      user: role,
      password,
    });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      return false;
    }
  }

  it('stores no spelling of a CREATE/ALTER ROLE password, yet the server gets each one (simple protocol)', async () => {
    const sent: string[] = [];
    const secrets: string[] = [];
    const wrong: string[] = [];
    for (const spelling of SPELLINGS) {
      const role = `r_${++roles}`;
      const password = secret();
      secrets.push(...pieces(password));
      // A connection each: a spelling may change the session (standard_conforming_strings).
      const client = new pg.Client({ connectionString: setup.url });
      await client.connect();
      for (const sql of spelling.sql(role, password)) {
        sent.push(sql);
        const error = await client.query(sql).then(
          () => undefined,
          (cause: Error) => cause,
        );
        if (!spelling.refused && error) wrong.push(`${spelling.name}: ${error.message}`);
        if (spelling.refused && !error) wrong.push(`${spelling.name}: accepted`);
      }
      await client.end();
      const stored = spelling.stored?.(password) ?? password;
      if (!spelling.refused && spelling.name !== 'CREATE GROUP' && !(await logsIn(role, stored)))
        wrong.push(`${spelling.name}: ${role} cannot log in with the password`);
    }
    expect(wrong).toEqual([]);
    await recorded(sent);
    const found = leaks(setup.test.home, secrets).map(([, piece]) => piece);
    expect(recordedSql().filter((sql) => found.some((piece) => sql.includes(piece)))).toEqual([]);
    expect(leaks(setup.test.home, secrets)).toEqual([]);
    // Recorded all the same, with the value replaced.
    expect(recordedSql().filter((sql) => sql.includes("'[redacted]'")).length).toBeGreaterThanOrEqual(
      SPELLINGS.length,
    );
  });

  it('stores no password sent with the extended protocol (Parse) or in a user mapping', async () => {
    const sql = postgres(setup.url, { max: 1, onnotice: () => undefined });
    const role = `r_${++roles}`;
    const passwords = [secret(), secret(), secret()];
    try {
      await sql.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD $p$${passwords[0]}$p$`);
      await sql.unsafe(`ALTER ROLE ${role} PASSWORD /* new */ U&'${passwords[1]}'`);
      await sql.unsafe('CREATE FOREIGN DATA WRAPPER glassbox_test_fdw');
      await sql.unsafe('CREATE SERVER glassbox_test_server FOREIGN DATA WRAPPER glassbox_test_fdw');
      await sql.unsafe(
        `CREATE USER MAPPING FOR ${role} SERVER glassbox_test_server OPTIONS (user 'u', password '${passwords[2]}')`,
      );
    } finally {
      await sql.end();
    }
    expect(await logsIn(role, passwords[1]!)).toBe(true);
    const mapping = await admin.query('SELECT umoptions FROM pg_user_mapping');
    expect(JSON.stringify(mapping.rows)).toContain(passwords[2]);
    await waitFor(
      () => recordedSql().filter((text) => text.includes('glassbox_test_server')).length >= 2,
      10_000,
      'the statements to be recorded',
    );
    expect(leaks(setup.test.home, passwords.flatMap(pieces))).toEqual([]);
  });

  it("stores no verifier that psql's \\password sends (ALTER USER … PASSWORD 'SCRAM-SHA-256$…')", async () => {
    const role = `r_${++roles}`;
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    const password = secret();
    // Detached: no controlling terminal, so psql reads the new password from stdin.
    const child = spawn('/usr/bin/psql', ['-X', '-w', '-d', setup.url, '-c', `\\password ${role}`], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', LC_ALL: 'C', PGCONNECT_TIMEOUT: '10' },
      timeout: 20_000,
    });
    child.stdin.end(`${password}\n${password}\n`);
    const run = await collectOutput(child);
    expect(run.stderr).not.toMatch(/error|fatal/i);
    expect(run.code).toBe(0);
    expect(await logsIn(role, password)).toBe(true);
    const verifier = String(
      (await admin.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role])).rows[0].rolpassword,
    );
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:/);
    const statement = await waitFor(
      () => recordedSql().find((sql) => /^ALTER USER .* PASSWORD /.test(sql) && sql.includes(role)),
      10_000,
      "psql's ALTER USER to be recorded",
    );
    expect(statement).toBe(`ALTER USER ${role} PASSWORD '[redacted]'`);
    // Salt, StoredKey and ServerKey: every run of 10 or more letters and digits of the verifier.
    const runs = verifier.slice('SCRAM-SHA-256$4096:'.length).match(/[A-Za-z0-9]{10,}/g) ?? [];
    expect(runs.length).toBeGreaterThan(2);
    expect(leaks(setup.test.home, [password, ...runs])).toEqual([]);
  });
});
