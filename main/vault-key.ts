/**
 * The credential vault's key in the desktop app. The engine runs in a utilityProcess, which has no
 * `safeStorage`; so the main process keeps a random 256-bit vault key encrypted with `safeStorage` (the OS
 * keychain: Keychain on macOS, DPAPI on Windows, libsecret/kwallet on Linux) in `vault-key.bin` under the
 * app's data folder, decrypts it at start and hands it to the engine in the GLASSBOX_VAULT_KEY environment
 * variable of the engine process only (never on a command line, never written in clear).
 *
 * On Linux without a keyring Chromium falls back to a hard-coded password (`basic_text`): the "encrypted"
 * key would be readable by anyone who can read the file. Then no key is created and the user is warned
 * plainly; the engine keeps its 0600 file vault, and its sign-in token store (issue 18), which seals tokens
 * with the same key, falls back to its 0600 file too — the warning says so rather than pretending.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The slice of Electron's safeStorage used here. */
export interface SafeStorageApi {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only in Electron; undefined elsewhere. */
  getSelectedStorageBackend?: () => string;
}

/** The environment variable carrying the key (64 hex characters) to the engine. */
export const VAULT_KEY_ENV = 'GLASSBOX_VAULT_KEY';

/** The outcome: a key to pass, or none with the plain sentence to show the user. */
export type VaultKey = { key: string; warning: null } | { key: null; warning: string };

/**
 * Loads the vault key from `file` (decrypting it with safeStorage), creating it on first use.
 * Never throws: an unusable keychain or an unreadable key file become a warning.
 */
export function loadVaultKey(file: string, safeStorage: SafeStorageApi, platform: NodeJS.Platform): VaultKey {
  if (!safeStorage.isEncryptionAvailable()) {
    return {
      key: null,
      warning:
        'The system keychain is not available, so stored credentials and sign-in tokens stay in files readable only by you (0600).',
    };
  }
  if (platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
    return {
      key: null,
      warning:
        'No keyring (GNOME Keyring / KWallet) was found, so Electron can only "encrypt" with a fixed password: ' +
        'stored database credentials and sign-in tokens are NOT protected by a keyring. They stay in files ' +
        'readable only by you (0600); install and unlock a keyring to protect them.',
    };
  }
  try {
    if (existsSync(file)) {
      const key = safeStorage.decryptString(readFileSync(file));
      if (/^[0-9a-f]{64}$/.test(key)) return { key, warning: null };
      return {
        key: null,
        warning: `The vault key in ${file} is damaged; stored credentials cannot be unlocked.`,
      };
    }
    const key = randomBytes(32).toString('hex');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, safeStorage.encryptString(key), { mode: 0o600 });
    return { key, warning: null };
  } catch (error) {
    return { key: null, warning: `The system keychain refused the vault key: ${(error as Error).message}` };
  }
}
