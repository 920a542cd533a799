import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../../common/errors.js';

/** Length of the installation's masking key, bytes. */
export const MASK_KEY_BYTES = 32;

/**
 * The installation's key for the `hash` action (`$GLASSBOX_HOME/mask.key`, beside the vault): 32 random
 * bytes, created on first use with mode 0600 and tightened to 0600 if found looser. Never recorded or sent
 * anywhere. Created race-free: written in full to a temporary file and then hard-linked into place, so two
 * processes starting at once (the engine and `glassbox mask`) end up with the same key and neither reads a
 * half-written one.
 * @throws UserError when the file exists but does not hold a 32-byte key (it is not replaced: hashes made
 *   with the old key would no longer correlate with new ones); Error when the directory cannot be written
 */
export function loadMaskKey(path: string): Buffer {
  const existing = readKey(path);
  if (existing) return existing;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, randomBytes(MASK_KEY_BYTES), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
  const key = readKey(path);
  if (!key) throw new UserError(`${path} vanished while it was being created; run the command again`, 1);
  return key;
}

function readKey(path: string): Buffer | undefined {
  let key: Buffer;
  try {
    key = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (key.length !== MASK_KEY_BYTES) {
    throw new UserError(
      `${path} holds ${key.length} bytes instead of a ${MASK_KEY_BYTES}-byte masking key. Restore it from a backup, or delete it to start a new key (hashes made before will no longer match new ones).`,
      1,
    );
  }
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return key;
}
