import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../common/errors.js';

/**
 * Where Glassbox keeps credentials it holds on a user's behalf (upstream database passwords, local connection
 * secrets). Keys are namespaced strings such as `pg:prod:upstream-password`. Implementations: a 0600 file
 * ({@link FileVault}); the desktop app can supply one backed by the OS keychain.
 */
export interface CredentialVault {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  delete(key: string): void;
}

/**
 * A vault in a JSON file readable only by its owner (mode 0600), rewritten atomically (temp file + rename).
 * Promise 2 of DESIGN.md: these secrets never reach config.json or a recording.
 */
export class FileVault implements CredentialVault {
  constructor(private readonly path: string) {}

  get(key: string): string | undefined {
    return this.read()[key];
  }

  set(key: string, value: string): void {
    const entries = this.read();
    entries[key] = value;
    this.write(entries);
  }

  delete(key: string): void {
    const entries = this.read();
    if (!(key in entries)) return;
    delete entries[key];
    this.write(entries);
  }

  private read(): Record<string, string> {
    if (!existsSync(this.path)) return {};
    if ((statSync(this.path).mode & 0o077) !== 0) chmodSync(this.path, 0o600);
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, string>;
    } catch (error) {
      throw new UserError(
        `the credential vault ${this.path} is not valid JSON (${(error as Error).message})`,
      );
    }
  }

  private write(entries: Record<string, string>): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.path);
  }
}
