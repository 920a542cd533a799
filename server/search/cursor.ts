/**
 * Opaque keyset cursors for the read API's pages: the sort key of a page's last row, as base64url JSON. A
 * client passes `next_cursor` back unchanged; the server resumes strictly after that key (never OFFSET), so a
 * page is stable under inserts: rows added meanwhile are neither repeated nor skipped past the cursor.
 */
import { z } from 'zod';
import { HttpError } from '../http/errors.js';

/** Encodes a page's last sort key. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * Decodes `cursor` with `shape` (the sort key's tuple schema).
 * @returns undefined when `cursor` is absent or empty
 * @throws HttpError 400 invalid_request naming `cursor` when it is not one this server handed out
 */
export function decodeCursor<T>(cursor: string | undefined, shape: z.ZodType<T>): T | undefined {
  if (!cursor) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const result = shape.safeParse(parsed);
  if (!result.success)
    throw new HttpError(
      400,
      'invalid_request',
      'cursor: not a cursor from this server; pass next_cursor as given',
    );
  return result.data;
}

const Micros = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** Sessions: (started_at, id), newest first. */
export const SessionKey = z.tuple([Micros, z.string().max(64)]);
/** Search matches: (ts, session_id, seq), newest first. */
export const EventKey = z.tuple([Micros, z.string().max(64), z.number().int().positive()]);
/** Alerts: (created_at, id), newest first. */
export const AlertKey = z.tuple([Micros, z.number().int().positive()]);
