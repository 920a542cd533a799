import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { passwordFilePath, passwordFromFile } from '../../proxy/postgres/pgpass.js';
import { tempHome } from '../helpers/engine.js';

describe('the libpq password file (PostgreSQL docs, 34.16)', () => {
  const dir = tempHome('glassbox-pgpass-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  const file = (lines: string[], mode = 0o600) => {
    const path = join(dir, `pgpass-${++files}`);
    writeFileSync(path, lines.join('\n'), { mode });
    chmodSync(path, mode);
    return path;
  };
  const key = { host: 'db.internal', port: '5432', database: 'shop', user: 'app' };

  it('takes the first line whose four fields match, with * for any field', () => {
    const path = file([
      '# a comment: db.internal:5432:shop:app:commented',
      'db.internal:5433:shop:app:other-port',
      'db.internal:5432:*:app:first',
      '*:*:*:*:second',
    ]);
    expect(passwordFromFile(path, key)).toEqual({ password: 'first', file: path });
    expect(passwordFromFile(path, { ...key, user: 'someone' })?.password).toBe('second');
  });

  it('reads \\: and \\\\ as : and \\ in every field, and ends the password at an unescaped :', () => {
    const path = file(['db\\:1:5432:sh\\\\op:app:pa\\:ss\\\\word:ignored\r']);
    expect(passwordFromFile(path, { ...key, host: 'db:1', database: 'sh\\op' })?.password).toBe(
      'pa:ss\\word',
    );
    expect(passwordFromFile(path, { ...key, host: 'db:1', database: 'shop' })).toBeUndefined();
  });

  it('does not let * match as a prefix, nor a field match a longer value', () => {
    const path = file(['*db:5432:shop:app:star-prefix', 'db:5432:shop:app:short']);
    expect(passwordFromFile(path, { ...key, host: 'xdb' })).toBeUndefined();
    expect(passwordFromFile(path, { ...key, host: 'db.internal' })).toBeUndefined();
  });

  it('ignores, with a warning, a file others can read or that is not a plain file; a missing one silently', () => {
    const warnings: string[] = [];
    const open = file(['*:*:*:*:secret'], 0o640);
    expect(passwordFromFile(open, key, (w) => warnings.push(w))).toBeUndefined();
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    expect(passwordFromFile(folder, key, (w) => warnings.push(w))).toBeUndefined();
    expect(passwordFromFile(join(dir, 'missing'), key, (w) => warnings.push(w))).toBeUndefined();
    expect(warnings).toEqual([
      `WARNING: password file "${open}" has group or world access; permissions should be u=rw (0600) or less`,
      `WARNING: password file "${folder}" is not a plain file`,
    ]);
  });

  it('is PGPASSFILE, else ~/.pgpass', () => {
    expect(passwordFilePath({ PGPASSFILE: '/x/pass', HOME: '/home/me' })).toBe('/x/pass');
    expect(passwordFilePath({ HOME: '/home/me' })).toBe('/home/me/.pgpass');
  });
});
