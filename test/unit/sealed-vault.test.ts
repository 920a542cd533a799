import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngineVault, SealedFileVault, VAULT_KEY_ENV } from '../../proxy/identity/sealed-vault.js';
import { FileVault } from '../../proxy/identity/vault.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function vaultPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-sealed-'));
  dirs.push(dir);
  return join(dir, 'vault.json');
}
const key = () => randomBytes(32).toString('hex');

describe('sealed credential vault (desktop app, key from the OS keychain)', () => {
  it('keeps upstream passwords only encrypted, local passwords in the plain file', () => {
    const path = vaultPath();
    const k = key();
    const vault = openEngineVault(path, { [VAULT_KEY_ENV]: k }, ['prod']);
    vault.set('pg:prod:upstream-password', 'REAL-SECRET-123');
    vault.set('pg:prod:local-password', 'local-abc');
    expect(readFileSync(`${path}.sealed`, 'utf8')).not.toContain('REAL-SECRET-123');
    expect(statSync(`${path}.sealed`).mode & 0o777).toBe(0o600);
    expect(new FileVault(path).get('pg:prod:upstream-password')).toBeUndefined();
    expect(new FileVault(path).get('pg:prod:local-password')).toBe('local-abc');
    expect(openEngineVault(path, { [VAULT_KEY_ENV]: k }, ['prod']).get('pg:prod:upstream-password')).toBe(
      'REAL-SECRET-123',
    );
  });

  it('moves a password `glassbox pg add` wrote in clear into the sealed file, and prunes removed connections', () => {
    const path = vaultPath();
    const k = key();
    new FileVault(path).set('pg:new:upstream-password', 'from-the-cli');
    const vault = openEngineVault(path, { [VAULT_KEY_ENV]: k }, ['new', 'old']);
    vault.set('pg:old:upstream-password', 'old-secret');
    expect(vault.get('pg:new:upstream-password')).toBe('from-the-cli');
    expect(readFileSync(path, 'utf8')).not.toContain('from-the-cli');
    const reopened = openEngineVault(path, { [VAULT_KEY_ENV]: k }, ['new']);
    expect(reopened.get('pg:old:upstream-password')).toBeUndefined();
    expect(reopened.get('pg:new:upstream-password')).toBe('from-the-cli');
  });

  it('refuses a wrong key or a malformed one, and without a key is the plain file vault', () => {
    const path = vaultPath();
    openEngineVault(path, { [VAULT_KEY_ENV]: key() }, ['a']).set('pg:a:upstream-password', 'x');
    expect(() => openEngineVault(path, { [VAULT_KEY_ENV]: key() }, ['a'])).toThrow(/cannot be opened/);
    expect(() => new SealedFileVault(new FileVault(path), path, 'short')).toThrow(/64 hex/);
    expect(openEngineVault(path, {}, [])).toBeInstanceOf(FileVault);
    expect(existsSync(`${path}.sealed`)).toBe(true);
  });
});
