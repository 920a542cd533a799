import { describe, expect, it } from 'vitest';
import { redactSqlPasswords } from '../../proxy/policy/secrets-in-content.js';
import { PasswordEchoes } from '../../proxy/policy/sql-passwords.js';

/**
 * Every spelling of a role password PostgreSQL accepts (and some it refuses, which are recorded all the same).
 * `[sql, what must not survive]`; the integration test (postgres-role-passwords) runs the valid ones against a
 * real server.
 */
const SPELLINGS: Array<[string, string]> = [
  ["CREATE ROLE r LOGIN PASSWORD 'hunter2'", 'hunter2'],
  ['CREATE ROLE r PASSWORD $$hunter2$$', 'hunter2'],
  ['CREATE ROLE r PASSWORD $tag$hunter2$tag$', 'hunter2'],
  ['CREATE ROLE r PASSWORD $_T1$hun$$ter2$_T1$', 'ter2'],
  ["CREATE ROLE r PASSWORD U&'hunter2'", 'hunter2'],
  ["CREATE ROLE r PASSWORD U&'\\0068unter2'", 'unter2'],
  ["CREATE ROLE r PASSWORD U&'!0068unter2' UESCAPE '!'", 'unter2'],
  ["CREATE ROLE r PASSWORD /* c */ 'hunter2'", 'hunter2'],
  ["CREATE ROLE r PASSWORD /* outer /* inner */ still a comment */ 'hunter2'", 'hunter2'],
  ["CREATE ROLE r PASSWORD -- a comment\n 'hunter2'", 'hunter2'],
  ["CREATE ROLE r PASSWORD E'hun\\'ter2'", 'ter2'],
  ["CREATE ROLE r PASSWORD e'hun''ter2\\\\'", 'ter2'],
  ["CREATE ROLE r PASSWORD 'hun'\n'ter2'", 'ter2'],
  ["CREATE ROLE r PASSWORD 'hun' -- continued\n  'ter2'", 'ter2'],
  ["CREATE ROLE r PASSWORD 'it''s hunter2'", 'hunter2'],
  ["create role r password 'hunter2'", 'hunter2'],
  ["CrEaTe UsEr r WiTh PaSsWoRd 'hunter2'", 'hunter2'],
  [
    "CREATE USER r WITH LOGIN CREATEDB PASSWORD 'hunter2' VALID UNTIL 'infinity' CONNECTION LIMIT 3",
    'hunter2',
  ],
  ["CREATE GROUP g PASSWORD 'hunter2'", 'hunter2'],
  ["ALTER ROLE r WITH ENCRYPTED PASSWORD 'hunter2'", 'hunter2'],
  ["ALTER USER r PASSWORD 'md5e0b1c1a2d3f4a5b6c7d8e9f0a1b2c3d4'", 'e0b1c1a2d3f4a5b6c7d8e9f0a1b2c3d4'],
  [
    `ALTER USER "r" PASSWORD 'SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0$c3RvcmVka2V5:c2VydmVya2V5'`,
    'c2FsdHNhbHRzYWx0',
  ],
  ["CREATE ROLE password PASSWORD 'hunter2'", 'hunter2'],
  ["CREATE ROLE r IN ROLE a, password PASSWORD 'hunter2'", 'hunter2'],
  ["SELECT 1; CREATE USER a PASSWORD 'hunter2'; SELECT 'after'", 'hunter2'],
  ["SELECT 'x;'; ALTER USER a PASSWORD $x$hunter2$x$;", 'hunter2'],
  // standard_conforming_strings off: the backslash escapes the quote, and the literal runs on.
  ["SET standard_conforming_strings = off; CREATE ROLE r PASSWORD 'a\\' hunter2'", 'hunter2'],
  ["CREATE ROLE r PASSWORD 'a\\'; ALTER ROLE r PASSWORD 'hunter2'", 'hunter2'],
  // Refused by PostgreSQL, recorded all the same.
  ['CREATE ROLE r PASSWORD "hunter2"', 'hunter2'],
  ["CREATE ROLE r PASSWORD ('hunter2')", 'hunter2'],
  ['CREATE ROLE r PASSWORD hunter2 LOGIN', 'hunter2'],
  ["CREATE ROLE r PASSWORD 'hun' /* not continued */ 'ter2'", 'ter2'],
  ["CREATE ROLE r PASSWORD N'hunter2'", 'hunter2'],
  ["CREATE ROLE r PASSWORD 'unterminated hunter2", 'hunter2'],
  // Role statements inside a DO block or a function body.
  ["DO $$ BEGIN CREATE ROLE r PASSWORD 'hunter2'; END $$", 'hunter2'],
  ["DO $do$ BEGIN EXECUTE 'CREATE ROLE r PASSWORD ''hunter2'''; END $do$", 'hunter2'],
  ["DO 'BEGIN EXECUTE ''ALTER ROLE r PASSWORD ''''hunter2''''''; END'", 'hunter2'],
  // Other statements that set a password: a user mapping's options.
  ["CREATE USER MAPPING FOR r SERVER s OPTIONS (user 'u', password 'hunter2')", 'hunter2'],
  ['ALTER USER MAPPING FOR r SERVER s OPTIONS (SET "password" $$hunter2$$)', 'hunter2'],
];

describe('role password redaction', () => {
  it.each(SPELLINGS)('redacts %j', (sql, secret) => {
    const redacted = redactSqlPasswords(sql);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain("'[redacted]'");
  });

  it('keeps the rest of the statement readable', () => {
    expect(redactSqlPasswords("CREATE ROLE app LOGIN PASSWORD 's3cr''et'")).toBe(
      "CREATE ROLE app LOGIN PASSWORD '[redacted]'",
    );
    expect(redactSqlPasswords("alter user x with encrypted password 'abc' valid until 'infinity'")).toBe(
      "alter user x with encrypted password '[redacted]' valid until 'infinity'",
    );
    expect(redactSqlPasswords("CREATE ROLE r PASSWORD U&'!0068i' UESCAPE '!' LOGIN")).toBe(
      "CREATE ROLE r PASSWORD '[redacted]' LOGIN",
    );
    expect(redactSqlPasswords("CREATE ROLE r PASSWORD /* c */ $$x$$; SELECT 'password' AS p")).toBe(
      "CREATE ROLE r PASSWORD /* c */ '[redacted]'; SELECT 'password' AS p",
    );
    expect(redactSqlPasswords("DO $$ BEGIN CREATE ROLE r PASSWORD 'x'; END $$")).toBe(
      "DO $$ BEGIN CREATE ROLE r PASSWORD '[redacted]'; END $$",
    );
    expect(redactSqlPasswords("CREATE ROLE password PASSWORD 'x' LOGIN")).toBe(
      "CREATE ROLE password PASSWORD '[redacted]' LOGIN",
    );
  });

  it('leaves SQL without a password value alone', () => {
    for (const sql of [
      "select 'password' as p",
      'SELECT password FROM users',
      "UPDATE users SET password_hash = 'x' WHERE id = 1",
      'ALTER ROLE r PASSWORD NULL',
      'ALTER ROLE r WITH PASSWORD null VALID UNTIL $$infinity$$',
      "-- PASSWORD 'x' in a comment is not a statement\nSELECT 1",
      "COMMENT ON ROLE r IS 'set the password later'",
      'ALTER ROLE r RENAME TO password',
      "CREATE ROLE r IN ROLE password LOGIN; SELECT 'password'",
    ]) {
      expect(redactSqlPasswords(sql), sql).toBe(sql);
    }
  });
});

describe('server messages that quote a redacted password back', () => {
  it('are scrubbed of what the session redacted, and only that', () => {
    const echoes = new PasswordEchoes();
    expect(echoes.redact('CREATE ROLE r PASSWORD "hunter2"')).toBe("CREATE ROLE r PASSWORD '[redacted]'");
    expect(echoes.redact("CREATE ROLE r PASSWORD 'unterminated hunter3")).toBe(
      "CREATE ROLE r PASSWORD '[redacted]'",
    );
    // PostgreSQL 15's messages for these two statements.
    expect(
      echoes.scrub({ sqlstate: '42601', message: 'syntax error at or near ""hunter2""', position: 24 }),
    ).toEqual({
      sqlstate: '42601',
      message: 'syntax error at or near "[redacted]"',
      position: 24,
    });
    expect(
      echoes.scrub({ message: `unterminated quoted string at or near "'unterminated hunter3"` }),
    ).toEqual({
      message: 'unterminated quoted string at or near "[redacted]"',
    });
    expect(echoes.scrub({ message: 'relation "hunter" does not exist' })).toEqual({
      message: 'relation "hunter" does not exist',
    });
  });
});
