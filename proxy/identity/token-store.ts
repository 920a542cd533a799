/**
 * Where a home's {@link TokenSet} is kept, chosen once when it is stored:
 * 1. a file sealed with AES-256-GCM under the desktop app's key (`tokens.json.sealed`, 0600) when the app
 *    passed its keychain-held key in GLASSBOX_VAULT_KEY (main/vault-key.ts);
 * 2. else the OS keychain through @napi-rs/keyring (macOS Keychain, Windows Credential Manager, the Secret
 *    Service on Linux; pinned to it, because the default silently falls back to the kernel keyutils keyring,
 *    which does not survive a reboot), probed once: one entry per home holding the key that seals the
 *    tokens in `tokens.keychain.sealed` (0600), see {@link keychainStore};
 * 3. else a 0600 file, `tokens.json`, with a one-line warning quoting why there is no keychain.
 * GLASSBOX_TOKEN_STORE=file|keychain forces a kind (headless runners, tests). Whoever reads the tokens later
 * opens the store the sign-in state names ({@link storeForState}), whatever its own environment would pick.
 */

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Entry } from '@napi-rs/keyring';
import { describeError } from '../common/errors.js';
import { homePaths } from '../config.js';
import { IdentityError } from './errors.js';
import { keyFromHex } from './sealed-box.js';
import { VAULT_KEY_ENV } from './sealed-vault.js';
import { decodeTokens, encodeTokens, seal, sealingKey, unseal } from './token-codec.js';
import type { SignInState, TokenStore, TokenStoreKind } from './types.js';

/** The environment variable carrying the desktop app's vault key (64 hex characters). */
export { VAULT_KEY_ENV };
/** The environment variable forcing a store kind: `file` or `keychain`. */
export const TOKEN_STORE_ENV = 'GLASSBOX_TOKEN_STORE';
/** The keychain service name of every Glassbox entry; the account is the home's absolute path. */
export const KEYCHAIN_SERVICE = 'glassbox';

/** The files of each store kind in `home` (a keychain store's file holds tokens sealed under its key). */
export function tokenFiles(home: string): Record<TokenStoreKind, string> {
  const file = homePaths(home).tokens;
  return { file, 'sealed-file': `${file}.sealed`, keychain: join(home, 'tokens.keychain.sealed') };
}

/** Options for {@link openTokenStore}. */
export interface OpenTokenStoreOptions {
  /** The process environment (GLASSBOX_VAULT_KEY, GLASSBOX_TOKEN_STORE). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Open this kind rather than choosing one: what a reader does with the kind the sign-in state names.
   * `sealed-file` needs GLASSBOX_VAULT_KEY in `env`.
   */
  kind?: TokenStoreKind;
}

/**
 * Opens the token store for a Glassbox home: the kind `options.kind` names, else the one chosen as the module
 * docstring says (this probes the OS keychain once, about 1 ms).
 * @throws IdentityError `store` when the kind asked for (by `options.kind` or GLASSBOX_TOKEN_STORE) cannot be
 *   used: `sealed-file` without the desktop app's key, `keychain` without a usable keychain, a malformed key
 *   or GLASSBOX_TOKEN_STORE value. Never for a missing token file; `read` throws when one is damaged.
 */
export function openTokenStore(home: string, options: OpenTokenStoreOptions = {}): TokenStore {
  const env = options.env ?? process.env;
  const forced = options.kind ?? forcedKind(env);
  const vaultKey = env[VAULT_KEY_ENV];
  if (forced === 'sealed-file' || (!forced && vaultKey)) {
    if (!vaultKey) {
      throw new IdentityError(
        'store',
        `You signed in through the desktop app: its tokens are sealed in ${homePaths(home).tokens}.sealed with ` +
          "the app's key, which this command does not have. Use the desktop app, or run `glassbox login` here " +
          'to sign in from this terminal.',
      );
    }
    return sealedFileStore(home, sealingKey(vaultKey));
  }
  if (forced === 'file') return fileStore(home, null);
  const probe = probeKeychain(home);
  if (probe instanceof Entry) return keychainStore(home, probe);
  const failure = probe;
  if (forced === 'keychain') {
    throw new IdentityError(
      'store',
      `The sign-in tokens are kept in the ${keychainName()}, which cannot be used here (${failure}). ` +
        `Unlock or start it, or run \`glassbox login\` again with ${TOKEN_STORE_ENV}=file.`,
    );
  }
  return fileStore(
    home,
    `No OS keychain (${keychainBackend()}: ${failure}); tokens are kept in ${homePaths(home).tokens}, ` +
      'readable only by you (0600)',
  );
}

/**
 * The store holding the tokens of `state` (its `store.kind`), or null when signed out.
 * @throws IdentityError `store` as {@link openTokenStore} (e.g. tokens sealed by the desktop app, no key here)
 */
export function storeForState(home: string, state: SignInState, env: NodeJS.ProcessEnv): TokenStore | null {
  if (state.status === 'signed-out' || !state.store) return null;
  return openTokenStore(home, { env, kind: state.store.kind });
}

function forcedKind(env: NodeJS.ProcessEnv): TokenStoreKind | undefined {
  const value = env[TOKEN_STORE_ENV];
  if (value === undefined || value === '') return undefined;
  if (value === 'file' || value === 'keychain') return value;
  throw new IdentityError('store', `${TOKEN_STORE_ENV} must be "file" or "keychain", not "${value}"`);
}

/** The 0600 `tokens.json`. */
function fileStore(home: string, warning: string | null): TokenStore {
  const file = homePaths(home).tokens;
  const where = `${file} (0600)`;
  return {
    kind: 'file',
    where,
    warning,
    read: () => {
      const text = readIfExists(file, where);
      return text === null ? null : decodeTokens(text, where);
    },
    write: (tokens) => writePrivate(file, encodeTokens(tokens), where),
    clear: () => removeFile(file, where),
  };
}

/** `tokens.json.sealed` (0600), AES-256-GCM under the desktop app's key. */
function sealedFileStore(home: string, key: Buffer): TokenStore {
  const file = tokenFiles(home)['sealed-file'];
  const where = `${file} (sealed with the desktop app's key, 0600)`;
  return {
    kind: 'sealed-file',
    where,
    warning: null,
    read: () => {
      const text = readIfExists(file, where);
      return text === null ? null : decodeTokens(unseal(key, text, file), where);
    },
    write: (tokens) => writePrivate(file, seal(key, encodeTokens(tokens)), where),
    clear: () => removeFile(file, where),
  };
}

/**
 * The home's keychain entry (service `glassbox`, account the home's absolute path) once it answered a read,
 * else why not (the keyring's message, one line). On Linux the Secret Service is connected to when the entry
 * is made, so both steps are tried.
 */
function probeKeychain(home: string): Entry | string {
  try {
    const entry = new Entry(KEYCHAIN_SERVICE, resolve(home), { linux: { store: 'secret-service' } });
    entry.getPassword();
    return entry;
  } catch (error) {
    return keyringMessage(error);
  }
}

/**
 * The keychain store: the entry holds a random 256-bit key (64 hex characters), and the tokens are sealed
 * under it in `tokens.keychain.sealed` (0600). Not the tokens themselves: Windows Credential Manager takes at
 * most 2560 bytes (CRED_MAX_CREDENTIAL_BLOB_SIZE, 1280 UTF-16 characters), less than an ID token, an access
 * token and a refresh token from many providers. The key is made at the first write and kept until `clear`.
 */
function keychainStore(home: string, entry: Entry): TokenStore {
  const file = tokenFiles(home).keychain;
  const where = `${keychainName()}, with the tokens sealed in ${file}`;
  const use = <T>(what: string, action: () => T): T => {
    try {
      return action();
    } catch (error) {
      throw new IdentityError(
        'store',
        `Cannot ${what} the sign-in key in the ${keychainName()} (${keyringMessage(error)}). ` +
          'Unlock the keychain and try again, or run `glassbox login` again.',
      );
    }
  };
  return {
    kind: 'keychain',
    where,
    warning: null,
    read: () => {
      const text = readIfExists(file, where);
      if (text === null) return null;
      const key = keyFromHex(use('read', () => entry.getPassword()));
      if (key === null) {
        throw new IdentityError(
          'store',
          `The key of the sign-in tokens in ${file} is missing from the ${keychainName()} (removed, or another ` +
            'user). Run `glassbox login` to sign in again.',
        );
      }
      return decodeTokens(unseal(key, text, file), where);
    },
    write: (tokens) => {
      let key = keyFromHex(use('read', () => entry.getPassword()));
      if (key === null) {
        const fresh = randomBytes(32);
        use('store', () => entry.setPassword(fresh.toString('hex')));
        key = fresh;
      }
      writePrivate(file, seal(key, encodeTokens(tokens)), where);
    },
    clear: () => {
      removeFile(file, where);
      use('remove', () => entry.deletePassword());
    },
  };
}

/** The keychain's name for people, by platform. */
function keychainName(): string {
  return process.platform === 'linux' ? `OS keychain (${keychainBackend()})` : keychainBackend();
}

/** The keychain @napi-rs/keyring uses on this platform. */
function keychainBackend(): string {
  if (process.platform === 'darwin') return 'macOS Keychain';
  if (process.platform === 'win32') return 'Windows Credential Manager';
  return 'Secret Service';
}

function readIfExists(file: string, where: string): string | null {
  if (!existsSync(file)) return null;
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new IdentityError('store', `Cannot read the sign-in tokens in ${where} (${describeError(error)}).`);
  }
}

/** Writes `text` to `file` atomically (a fresh temporary file created 0600, then rename). */
function writePrivate(file: string, text: string, where: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, `${text}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw new IdentityError(
      'store',
      `Cannot store the sign-in tokens in ${where} (${describeError(error)}).`,
    );
  }
}

function removeFile(file: string, where: string): void {
  try {
    rmSync(file, { force: true });
  } catch (error) {
    throw new IdentityError(
      'store',
      `Cannot remove the sign-in tokens in ${where} (${describeError(error)}).`,
    );
  }
}

/** The keyring's message on one line (its `code` is always GenericFailure, so it is left out). */
function keyringMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
}
