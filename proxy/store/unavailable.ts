import { statfsSync } from 'node:fs';
import { describeError } from '../common/errors.js';

/**
 * Why the store cannot make writes durable: `disk_full` when there is no room to write (ENOSPC, EDQUOT,
 * EFBIG, SQLITE_FULL), `io_error` for anything else the file system refused.
 */
export type StoreProblem = 'disk_full' | 'io_error';

/**
 * A write the store refused because its files cannot be written (a full disk, an I/O error): nothing of it
 * is durable, so nothing it covers may be forwarded. The condition is passing — the store tries again by
 * itself and takes writes as soon as it can — so callers fail fast and tell their client, and writes nobody
 * waits for may be retried later. `message` names the place and the cause in words a user can act on.
 */
export class StoreUnavailableError extends Error {
  constructor(
    message: string,
    readonly problem: StoreProblem,
    /** The system or SQLite error code (ENOSPC, SQLITE_FULL, …), when there is one. */
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** Error codes meaning "no room to write". */
const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'SQLITE_FULL']);

/**
 * Describes a failed write under `where` (a directory or file of the store) as a {@link StoreUnavailableError}:
 * e.g. "the disk holding /home/u/.glassbox/journal is full (ENOSPC: no space left on device)".
 */
export function storageFailure(error: unknown, where: string): StoreUnavailableError {
  if (error instanceof StoreUnavailableError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const known = typeof code === 'string' ? code : undefined;
  const cause = describeError(error);
  switch (known) {
    case 'ENOSPC':
    case 'SQLITE_FULL':
      return new StoreUnavailableError(`the disk holding ${where} is full (${cause})`, 'disk_full', known);
    case 'EDQUOT':
      return new StoreUnavailableError(
        `the disk quota for ${where} is used up (${cause})`,
        'disk_full',
        known,
      );
    case 'EFBIG':
      return new StoreUnavailableError(
        `a file in ${where} reached the largest size allowed (${cause})`,
        'disk_full',
        known,
      );
    default:
      return new StoreUnavailableError(`could not write to ${where} (${cause})`, 'io_error', known);
  }
}

/** True when `error` (thrown by a write, or found at start) means the disk has no room to write. */
export function isDiskFull(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return error.problem === 'disk_full';
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && FULL.has(code);
}

/** Below this many bytes free (for unprivileged writers), a file system counts as full. */
const NEARLY_FULL_BYTES = 64 * 1024;

/** True when the file system holding `path` has (next to) no room left; false when it cannot be told. */
export function diskIsFull(path: string): boolean {
  return !hasRoom(path, NEARLY_FULL_BYTES);
}

/**
 * True when the file system holding `path` has at least `bytes` free for unprivileged writers (statfs), or
 * when that cannot be told.
 */
export function hasRoom(path: string, bytes: number): boolean {
  try {
    const stats = statfsSync(path);
    return stats.bavail * stats.bsize >= bytes;
  } catch {
    return true;
  }
}
