import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadVaultKey, type SafeStorageApi } from '../../../main/vault-key.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function keyFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-vault-key-'));
  dirs.push(dir);
  return join(dir, 'vault-key.bin');
}

/** A reversible stand-in for the OS keychain: XOR with a fixed byte (the file must not hold the key in clear). */
function keychain(backend = 'gnome_libsecret', available = true): SafeStorageApi {
  return {
    isEncryptionAvailable: () => available,
    encryptString: (plain) => Buffer.from(Buffer.from(plain).map((b) => b ^ 0x5a)),
    decryptString: (encrypted) => Buffer.from(encrypted.map((b) => b ^ 0x5a)).toString(),
    getSelectedStorageBackend: () => backend,
  };
}

describe('vault key sealed with safeStorage', () => {
  it('creates a 256-bit key once, stores it only encrypted (0600), and reads the same key back', () => {
    const file = keyFile();
    const first = loadVaultKey(file, keychain(), 'linux');
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(file).toString()).not.toContain(first.key!);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadVaultKey(file, keychain(), 'linux')).toEqual(first);
  });

  it('refuses the plain-text fallback on Linux and warns instead of pretending', () => {
    const file = keyFile();
    const result = loadVaultKey(file, keychain('basic_text'), 'linux');
    expect(result.key).toBeNull();
    expect(result.warning).toMatch(/No keyring/);
    // Sign-in tokens too (issue 18): the engine gets no key, so they are not sealed either — said plainly.
    expect(result.warning).toMatch(/sign-in tokens are NOT protected by a keyring/);
    expect(existsSync(file)).toBe(false);
  });

  it('warns when the keychain is unavailable or the stored key is damaged', () => {
    expect(loadVaultKey(keyFile(), keychain('unknown', false), 'darwin').warning).toMatch(/not available/);
    const file = keyFile();
    writeFileSync(file, 'garbage');
    expect(loadVaultKey(file, keychain(), 'win32')).toMatchObject({
      key: null,
      warning: expect.stringMatching(/damaged/),
    });
  });
});
