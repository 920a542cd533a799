import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../proxy/config.js';
import { FileVault } from '../../proxy/identity/vault.js';
import { listConnections } from '../../proxy/postgres/connections.js';
import { parseDatabasesOption, servedDatabase, sessionTarget } from '../../proxy/postgres/databases.js';
import { tempHome } from '../helpers/engine.js';

describe('databases a PostgreSQL connection serves', () => {
  const single = { name: 'app', database: 'shop' };
  const listed = { name: 'app', database: 'shop', databases: ['reports', 'app'] };
  const any = { name: 'app', database: 'shop', databases: '*' as const };

  it('maps what a client asks for to the upstream database, or refuses it', () => {
    expect(servedDatabase(single, 'shop')).toBe('shop');
    expect(servedDatabase(single, 'app')).toBe('shop'); // libpq's default database is the user name
    expect(servedDatabase(single, 'template1')).toBeUndefined();
    expect(servedDatabase(listed, 'reports')).toBe('reports');
    expect(servedDatabase(listed, 'app')).toBe('app'); // listed by name: the real database of that name
    expect(servedDatabase(listed, 'template1')).toBeUndefined();
    expect(servedDatabase(any, 'template1')).toBe('template1');
    expect(servedDatabase(any, 'app')).toBe('shop');
  });

  it('names the database in the session target only when the connection serves several', () => {
    expect(sessionTarget(single, 'app')).toBe('app');
    expect(sessionTarget(any, 'app')).toBe('app/shop');
    expect(sessionTarget(any, 'template1')).toBe('app/template1');
  });

  it('parses --databases: names (the default dropped), or * alone', () => {
    expect(parseDatabasesOption('shop', 'shop')).toBeUndefined();
    expect(parseDatabasesOption('reports, shop,reports', 'shop')).toEqual(['reports']);
    expect(parseDatabasesOption('*', 'shop')).toBe('*');
    expect(() => parseDatabasesOption('*,shop', 'shop')).toThrow('give it alone');
    expect(() => parseDatabasesOption('a,,b', 'shop')).toThrow('comma-separated');
  });

  it('reads a config.json written before `databases` existed as serving its one database', () => {
    const home = tempHome();
    try {
      const connection = { host: 'db', port: 5432, user: 'u', database: 'shop', listen: 6432 };
      writeFileSync(
        join(home, 'config.json'),
        JSON.stringify({ postgres: { connections: { app: connection } } }),
      );
      const config = loadConfig(home);
      expect(config.postgres.connections.app).toMatchObject({ database: 'shop', upstreamTls: 'prefer' });
      const [summary] = listConnections(config, new FileVault(join(home, 'vault.json')));
      expect(summary?.databases).toEqual(['shop']);
      writeFileSync(
        join(home, 'config.json'),
        JSON.stringify({ postgres: { connections: { app: { ...connection, databases: [] } } } }),
      );
      expect(() => loadConfig(home)).toThrow('postgres.connections.app.databases');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
