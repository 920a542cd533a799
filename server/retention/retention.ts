/**
 * Retention (`--retention-days N`): deletes the sessions whose last event is older than N days, with their
 * events (ON DELETE CASCADE), at start and then every hour. Integrity alerts are never deleted: they outlive
 * the sessions they are about. A session without stored events counts from its start.
 *
 * Safe with several instances on one database: each pass deletes in batches of rows locked with SKIP LOCKED,
 * so two instances never wait on each other, nor on a batch being stored.
 */
import type pg from 'pg';

/** The logger retention reports to (pino's shape). */
export interface RetentionLog {
  info(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** What one pass deleted. */
export interface RetentionPass {
  /** Sessions deleted. */
  sessions: number;
  /** Their events (the sum of their heads: every stored session holds seq 1..head). */
  events: number;
  /** The cutoff: sessions whose last event is before this (µs since the epoch) went. */
  cutoff: number;
}

const DAY_US = 86_400_000_000;
const BATCH = 500;

/** The periodic retention job; a component of server/app.ts (start/stop). */
export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionPass | undefined> | undefined;

  /**
   * @param days keep sessions whose last event is at most this many days old
   * @param everyMs time between passes (default one hour)
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly days: number,
    private readonly log: RetentionLog,
    private readonly everyMs = 3_600_000,
  ) {}

  /** Starts a first pass now (in the background) and one every `everyMs`. */
  start(): void {
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.everyMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * One pass (skipped, resolving undefined, while another runs). Logs how much it deleted; a database error
   * is logged, never thrown (the next pass retries).
   */
  runOnce(now: number = Date.now() * 1000): Promise<RetentionPass | undefined> {
    if (this.running) return Promise.resolve(undefined);
    this.running = this.pass(now - this.days * DAY_US)
      .then(
        (pass) => {
          this.log.info(
            { retention: { ...pass, days: this.days } },
            `retention: deleted ${pass.sessions} sessions`,
          );
          return pass;
        },
        (error: unknown) => {
          this.log.error({ err: error }, 'retention: the pass failed; retrying at the next one');
          return undefined;
        },
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async pass(cutoff: number): Promise<RetentionPass> {
    const total: RetentionPass = { sessions: 0, events: 0, cutoff };
    for (;;) {
      const { rows } = await this.pool.query<{ head_seq: number }>(
        `WITH doomed AS (
           SELECT s.id FROM sessions s
           LEFT JOIN events e ON e.session_id = s.id AND e.seq = s.head_seq
           WHERE COALESCE(e.ts, s.started_at) < $1
           LIMIT ${BATCH}
           FOR UPDATE OF s SKIP LOCKED
         )
         DELETE FROM sessions WHERE id IN (SELECT id FROM doomed) RETURNING head_seq`,
        [cutoff],
      );
      total.sessions += rows.length;
      for (const row of rows) total.events += row.head_seq;
      if (rows.length < BATCH) return total;
    }
  }
}
