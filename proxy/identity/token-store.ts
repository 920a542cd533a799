/**
 * PLACEHOLDER (contract stage): a 0600 file store only. The token-store engineer replaces this file with the
 * full choice (OS keychain, sealed file, 0600 file with a warning), keeping `openTokenStore`'s signature.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homePaths } from '../config.js';
import type { TokenSet, TokenStore } from './types.js';

/** Options for {@link openTokenStore}. */
export interface OpenTokenStoreOptions {
  /** The process environment (GLASSBOX_VAULT_KEY selects the sealed file). Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Opens the token store for a Glassbox home.
 * @throws never for a missing file; `read` throws when the file is damaged
 */
export function openTokenStore(home: string, _options: OpenTokenStoreOptions = {}): TokenStore {
  const file = homePaths(home).tokens;
  return {
    kind: 'file',
    where: `${file} (0600)`,
    warning: null,
    read: () => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as TokenSet) : null),
    write: (tokens) => {
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(tokens), { mode: 0o600 });
      renameSync(tmp, file);
    },
    clear: () => rmSync(file, { force: true }),
  };
}
