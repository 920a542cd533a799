/**
 * The team policy the server serves (issue 19, point 7): a policy.json document in a file named by
 * `--team-policy FILE`, validated with the engine's own schema (proxy/sync/team-policy.ts). At start an invalid
 * file stops the server; afterwards the file is watched and each valid new version is stored as a new row of
 * `team_policy` (when it differs from the newest one) and announced on the live channel as
 * `{type: 'policy', version}`; an invalid new version is refused with a log line and the stored one stays.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type pg from 'pg';
import { PolicyError, parsePolicy } from '../../proxy/sync/team-policy.js';
import type { DbLog } from '../db/database.js';
import { inTransaction } from '../db/database.js';
import { LIVE_CHANNEL } from '../live/channel.js';

/** How often the file's modification time is checked, ms (fs.watchFile polls: it survives editors' renames). */
const POLL_MS = 500;
/** pg_advisory_xact_lock key serialising team-policy writes across server instances. */
const POLICY_LOCK = 0x67_6c_70_6f; // "glpo"

/** A team policy file that cannot be used: which file and every problem, one line each. */
export class TeamPolicyFileError extends Error {
  override name = 'TeamPolicyFileError';
}

/**
 * Reads and validates the team policy file.
 * @returns the document as written (JSON-parsed; what engines receive and parse themselves)
 * @throws TeamPolicyFileError naming the file and each invalid field (or the read/JSON error)
 */
export function readTeamPolicyFile(path: string): unknown {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TeamPolicyFileError(`${path}: cannot be read as JSON (${(error as Error).message})`);
  }
  try {
    parsePolicy(raw, path);
  } catch (error) {
    if (error instanceof PolicyError)
      throw new TeamPolicyFileError(
        `${path}: invalid policy: ${error.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      );
    throw error;
  }
  return raw;
}

/**
 * Stores `document` as the newest team policy unless the newest already equals it (jsonb equality: key order
 * and spacing do not count), and NOTIFYs `{type: 'policy', version}` on commit when it stored one.
 * @returns the newest version and whether this call stored it
 * @throws database errors
 */
export async function storeTeamPolicy(
  pool: pg.Pool,
  document: unknown,
  createdBy: string,
): Promise<{ version: number; stored: boolean }> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [POLICY_LOCK]);
    const text = JSON.stringify(document);
    const newest = (
      await client.query<{ version: number; same: boolean }>(
        'SELECT version, document = $1::jsonb AS same FROM team_policy ORDER BY version DESC LIMIT 1',
        [text],
      )
    ).rows[0];
    if (newest?.same) return { version: newest.version, stored: false };
    const version = (
      await client.query<{ version: number }>(
        'INSERT INTO team_policy (document, created_at, created_by) VALUES ($1::jsonb, $2, $3) RETURNING version',
        [text, Date.now() * 1000, createdBy],
      )
    ).rows[0]!.version;
    await client.query('SELECT pg_notify($1, $2)', [
      LIVE_CHANNEL,
      JSON.stringify({ type: 'policy', version }),
    ]);
    return { version, stored: true };
  });
}

/** Watches the team policy file and stores each valid new version (see the module comment). */
export class TeamPolicyFile {
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private refused: string | null = null;

  constructor(
    private readonly path: string,
    private readonly pool: pg.Pool,
    private readonly log: DbLog,
  ) {}

  /**
   * Validates and stores the file, then starts watching it.
   * @throws TeamPolicyFileError when the file is invalid (the server does not start on it); database errors
   */
  async start(): Promise<void> {
    const document = readTeamPolicyFile(this.path);
    const { version, stored } = await storeTeamPolicy(this.pool, document, `file:${this.path}`);
    this.log.info({ path: this.path, version, stored }, 'team policy loaded');
    watchFile(this.path, { interval: POLL_MS, persistent: false }, () => {
      this.running = this.running.then(() => this.reload());
    });
  }

  /** Stops watching, after a version being stored. */
  async stop(): Promise<void> {
    this.stopped = true;
    unwatchFile(this.path);
    await this.running;
  }

  private async reload(): Promise<void> {
    if (this.stopped) return;
    let document: unknown;
    try {
      document = readTeamPolicyFile(this.path);
    } catch (error) {
      const reason = (error as Error).message;
      if (reason !== this.refused)
        this.log.warn({ path: this.path, reason }, 'team policy refused: the served version stays');
      this.refused = reason;
      return;
    }
    this.refused = null;
    try {
      const { version, stored } = await storeTeamPolicy(this.pool, document, `file:${this.path}`);
      if (stored) this.log.info({ path: this.path, version }, 'team policy updated');
    } catch (error) {
      this.log.warn({ err: error, path: this.path }, 'team policy not stored; will retry at the next change');
    }
  }
}
