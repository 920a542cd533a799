import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../common/errors.js';
import { keyFromHex, openSealed, sealText } from './sealed-box.js';
import { type CredentialVault, FileVault } from './vault.js';

/** The environment variable through which the desktop app hands the engine its vault key (64 hex chars). */
export const VAULT_KEY_ENV = 'GLASSBOX_VAULT_KEY';

/** Keys holding upstream secrets (`…:upstream-password`); these are the ones sealed. */
const SEALED = /:upstream-password$/;

/**
 * A vault whose upstream secrets are sealed with AES-256-GCM under a key the engine does not store: the
 * desktop app keeps it in the OS keychain (Electron safeStorage) and passes it in GLASSBOX_VAULT_KEY.
 * Sealed entries live in `<vault>.sealed` (0600); other entries (local passwords, which `glassbox pg list`
 * prints in the URLs clients use) stay in the plain 0600 file. Upstream secrets that `glassbox pg add`
 * wrote to the plain file (a terminal has no key) are moved into the sealed file when first read.
 */
export class SealedFileVault implements CredentialVault {
  private readonly key: Buffer;
  private readonly sealedPath: string;

  /** @throws UserError when `hexKey` is not 64 hex characters */
  constructor(
    private readonly plain: FileVault,
    plainPath: string,
    hexKey: string,
  ) {
    const key = keyFromHex(hexKey);
    if (!key) throw new UserError(`${VAULT_KEY_ENV} must be 64 hex characters`);
    this.key = key;
    this.sealedPath = `${plainPath}.sealed`;
  }

  get(key: string): string | undefined {
    if (!SEALED.test(key)) return this.plain.get(key);
    const sealed = this.read();
    if (key in sealed) return sealed[key];
    const legacy = this.plain.get(key);
    if (legacy !== undefined) {
      this.set(key, legacy);
      this.plain.delete(key);
    }
    return legacy;
  }

  set(key: string, value: string): void {
    if (SEALED.test(key)) this.write({ ...this.read(), [key]: value });
    else this.plain.set(key, value);
  }

  delete(key: string): void {
    if (!SEALED.test(key)) {
      this.plain.delete(key);
      return;
    }
    const entries = this.read();
    if (!(key in entries)) return;
    delete entries[key];
    this.write(entries);
  }

  /** Removes sealed entries `keep` rejects (connections removed with `glassbox pg remove` from a terminal). */
  prune(keep: (key: string) => boolean): void {
    const entries = this.read();
    const kept = Object.fromEntries(Object.entries(entries).filter(([key]) => keep(key)));
    if (Object.keys(kept).length !== Object.keys(entries).length) this.write(kept);
  }

  private read(): Record<string, string> {
    if (!existsSync(this.sealedPath)) return {};
    const text = openSealed(this.key, readFileSync(this.sealedPath, 'utf8'));
    if (text === null) {
      throw new UserError(
        `the sealed credential vault ${this.sealedPath} cannot be opened with this app's key (damaged, or sealed by another installation)`,
      );
    }
    return JSON.parse(text) as Record<string, string>;
  }

  private write(entries: Record<string, string>): void {
    const box = sealText(this.key, JSON.stringify(entries));
    mkdirSync(dirname(this.sealedPath), { recursive: true, mode: 0o700 });
    const temp = `${this.sealedPath}.${process.pid}.tmp`;
    writeFileSync(temp, `${box}\n`, { mode: 0o600 });
    renameSync(temp, this.sealedPath);
  }
}

/**
 * The engine's vault: sealed when the desktop app supplied a key in `env`, else the plain 0600 file.
 * Sealed secrets of connections no longer configured (`connectionNames`) are pruned.
 * @throws UserError for a malformed key or a vault that does not open with it
 */
export function openEngineVault(
  plainPath: string,
  env: NodeJS.ProcessEnv,
  connectionNames: string[],
): CredentialVault {
  const plain = new FileVault(plainPath);
  const key = env[VAULT_KEY_ENV];
  if (!key) return plain;
  const vault = new SealedFileVault(plain, plainPath, key);
  const names = new Set(connectionNames);
  vault.prune((entry) => names.has(/^pg:(.*):upstream-password$/.exec(entry)?.[1] ?? ''));
  return vault;
}
