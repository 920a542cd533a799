/**
 * The background mirror (DESIGN.md, "Team server and mirroring"): sends every session's events to the team
 * server, in order, in bounded batches, and keeps in `sync_state` how far the server acknowledged. The local
 * event log is the outbox: nothing is queued in memory but session ids to look at.
 *
 * - What to send: sessions whose head is past their acknowledged seq (ended ones too, however old), found by a
 *   scan at start and every `rescanMs`, and by the store's change feed while recording (a live session's new
 *   events go out within about a second).
 * - A session the mirror has never sent starts from the server's head (`GET …/head`, 404 = from 0); a 409 gap
 *   resumes from the head the server names; 200 records the new head.
 * - 422 (integrity) and 403 (not the owner) refuse the session until its head moves; the others go on.
 * - 401: the token is refused; wait for another (the identity's changes, or a periodic re-check).
 * - 429: nothing is sent before Retry-After. Network errors and 5xx: back off with jitter, for the session
 *   and for the mirror as a whole, and never give up.
 *
 * One session at a time (a few batches per turn, so that one busy session never starves the others). It reads
 * SQLite on a connection of its own (sync/state.ts) and never writes the recording: the proxies never wait on it.
 */
import type { StoreChange } from '../store/types.js';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { type BatchLimits, buildBatch, sessionMeta } from './batch.js';
import { type Outcome, TeamClient } from './client.js';
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS, type SessionHead, type SessionMeta } from './protocol.js';
import { type TeamSettings, teamBaseUrl } from './settings.js';
import { type PendingSession, type SyncRow, SyncState } from './state.js';
import { mirrorStatus } from './status.js';
import { StatusNotices } from './status-notices.js';
import type { BearerSource, MirrorStatus } from './types.js';

/** What the mirror needs. */
export interface MirrorOptions {
  /** The engine's SQLite file (the store has created and migrated it). */
  databasePath: string;
  /** config.json's `team` section; undefined: not configured (the mirror is `off`). */
  team: TeamSettings | undefined;
  /** The store's change feed (Store.subscribe). */
  changes: (listener: (change: StoreChange) => void) => () => void;
  /**
   * Waits until SQLite holds every write made so far (Store.settle): called before each full scan, which
   * reads on the mirror's own connection, so that sessions written before the mirror subscribed (whose
   * changes it never heard) are found at once rather than at the next rescan.
   */
  settle?: () => void;
  /** The token to send. */
  bearer: BearerSource;
  /** Called when the sign-in changes (IdentityComponent.subscribe), to try a new token at once. */
  identityChanges?: (listener: () => void) => () => void;
  /** How often every session is looked at again (ms, default 30 s). */
  rescanMs?: number;
  backoff?: BackoffPolicy;
  limits?: BatchLimits;
  /** How often a missing or refused token is looked at again (ms, default 5 s). */
  signedOutRecheckMs?: number;
}

/** Batches one session may send before the others get a turn. */
const BATCHES_PER_TURN = 8;
/** How soon a session whose announced events SQLite does not hold yet is looked at again (ms). */
const NOT_YET_APPLIED_MS = 150;
/** Least time between two `team` status notices (ms). */
const NOTICE_INTERVAL_MS = 1_000;

/** The background mirror; a component of the engine (start/stop). */
export class Mirror {
  private state: SyncState | undefined;
  private readonly client: TeamClient | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly unsubscribers: Array<() => void> = [];
  /** Sessions to look at, in order; a value is the time (ms) before which not to. */
  private readonly queue = new Map<string, number>();
  /** The highest seq the change feed announced per session not yet acknowledged. */
  private readonly announced = new Map<string, number>();
  private wake: (() => void) | undefined;
  private readonly stopping = new AbortController();
  private rescanTimer: NodeJS.Timeout | undefined;
  private rescanDue = true;
  /** A 429 or a failing server: nothing is sent before this (ms since epoch). */
  private globalUntil = 0;
  private globalFailures = 0;
  /** The token the server answered 401 to: not sent again. */
  private rejectedToken: string | undefined;
  private signedOut = false;
  private sending = false;
  private lastSuccessAt: number | null = null;
  private lastError: string | null = null;
  private readonly notices = new StatusNotices(() => this.status(), NOTICE_INTERVAL_MS);

  constructor(private readonly options: MirrorOptions) {
    if (this.enabled) this.client = new TeamClient(teamBaseUrl(options.team!), this.stopping.signal);
  }

  /** True when config.json has a `team` section with `mirror: true`. */
  get enabled(): boolean {
    return this.options.team?.mirror === true;
  }

  /** Starts mirroring when enabled (else does nothing). @throws when the database cannot be opened */
  async start(): Promise<void> {
    if (!this.enabled || this.running) return;
    this.state = SyncState.open(this.options.databasePath);
    this.running = true;
    this.unsubscribers.push(this.options.changes((change) => this.onChange(change)));
    if (this.options.identityChanges)
      this.unsubscribers.push(this.options.identityChanges(() => this.poke()));
    this.rescanTimer = setInterval(() => {
      this.rescanDue = true;
      this.poke();
    }, this.options.rescanMs ?? 30_000).unref();
    this.loop = this.run();
  }

  /** Stops: aborts a request in flight (the server keeps what it committed; the next start resumes). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    clearInterval(this.rescanTimer);
    this.notices.stop();
    this.stopping.abort();
    this.poke();
    await this.loop;
    this.state?.close();
    this.state = undefined;
  }

  /** The status now (GET /api/team). */
  status(): MirrorStatus {
    const team = this.options.team;
    const facts = {
      configured: team !== undefined,
      url: team ? teamBaseUrl(team) : null,
      enabled: this.enabled,
      signedOut: this.signedOut,
      offline: this.globalFailures > 0,
      sending: this.sending,
      lastSuccessAt: this.lastSuccessAt,
      lastError: this.lastError,
    };
    let pending: PendingSession[] = [];
    try {
      pending = this.state?.pending() ?? [];
    } catch {
      // SQLite busy: the counts catch up at the next notice.
    }
    // A session whose first request (its head) failed has no sync_state row yet: its error is held here.
    const shown = pending.map((session) => {
      const unasked = session.sync ? undefined : this.unasked.get(session.id);
      return unasked ? { ...session, sync: unasked } : session;
    });
    return mirrorStatus(facts, shown, Date.now());
  }

  /** Calls `listener` with the status when it changes (at most once a second). Returns the unsubscribe. */
  subscribe(listener: (status: MirrorStatus) => void): () => void {
    return this.notices.subscribe(listener);
  }

  private onChange(change: StoreChange): void {
    const id = change.type === 'event' ? change.session_id : change.session.id;
    if (change.type === 'event') this.announced.set(id, Math.max(this.announced.get(id) ?? 0, change.seq));
    if (!this.queue.has(id)) this.queue.set(id, 0);
    this.poke();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          this.wake = undefined;
          resolve();
        },
        Math.max(0, ms),
      );
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.step();
      } catch (error) {
        // SQLite busy or failing, or a row the protocol cannot carry: say so and try again later.
        this.lastError = `mirror: ${error instanceof Error ? error.message : String(error)}`;
        this.changed();
        await this.sleep(1_000);
      }
    }
  }

  /** One turn: find a session due and send some of it, or sleep until something is due. */
  private async step(): Promise<void> {
    const state = this.state!;
    if (this.rescanDue) {
      this.rescanDue = false;
      this.options.settle?.();
      for (const pending of state.pending()) {
        const sync = pending.sync;
        if (sync?.refused != null && pending.head_seq <= sync.refused) continue;
        if (!this.queue.has(pending.id)) this.queue.set(pending.id, sync?.next_attempt_at ?? 0);
      }
      this.changed();
    }
    const token = this.options.bearer.bearer();
    if (!token || token === this.rejectedToken) {
      this.setSignedOut(true);
      await this.sleep(this.options.signedOutRecheckMs ?? 5_000);
      return;
    }
    this.setSignedOut(false);
    this.rejectedToken = undefined;
    const now = Date.now();
    if (this.globalUntil > now) {
      await this.sleep(this.globalUntil - now);
      return;
    }
    let next: string | undefined;
    let soonest = Number.POSITIVE_INFINITY;
    for (const [id, due] of this.queue) {
      if (due <= now) {
        next = id;
        break;
      }
      soonest = Math.min(soonest, due);
    }
    if (next === undefined) {
      await this.sleep(Math.min(soonest - now, this.options.rescanMs ?? 30_000));
      return;
    }
    this.queue.delete(next);
    await this.mirrorSession(next, token);
  }

  /** Sends up to {@link BATCHES_PER_TURN} batches of one session. */
  private async mirrorSession(id: string, token: string): Promise<void> {
    const state = this.state!;
    const session = state.session(id);
    if (!session || session.head_seq === 0) return;
    let sync = state.get(id);
    if (sync?.refused != null && session.head_seq <= sync.refused) return;
    if (!sync) {
      const outcome = await this.client!.head(id, token);
      if (outcome.type !== 'head') return this.failed(id, undefined, session.head_seq, outcome);
      sync = this.acked(id, outcome.head);
    }
    let meta: SessionMeta;
    try {
      meta = sessionMeta(session);
    } catch (error) {
      // A row the protocol cannot carry would fail the same way at every attempt: refused until it changes.
      const message = error instanceof Error ? error.message : String(error);
      return this.failed(id, sync, session.head_seq, {
        type: 'refused',
        status: 0,
        code: 'unsendable',
        message,
      });
    }
    const limits = this.options.limits ?? { maxEvents: MAX_BATCH_EVENTS, maxBytes: MAX_BATCH_BYTES };
    for (let turn = 0; turn < BATCHES_PER_TURN && this.running; turn++) {
      if (sync.acked_seq >= session.head_seq) break;
      const events = state.events(id, sync.acked_seq, limits.maxEvents, limits.maxBytes);
      if (events.length === 0 || events[0]!.seq !== sync.acked_seq + 1) {
        this.lastError = `session ${id}: the server holds seq ${sync.acked_seq} but the local chain does not continue from it`;
        this.changed();
        return;
      }
      const batch = buildBatch(meta, events, limits);
      this.sending = true;
      this.changed();
      const outcome = await this.client!.send(id, batch.body, token);
      this.sending = false;
      if (outcome.type === 'head' || outcome.type === 'gap') {
        if (outcome.type === 'gap' && outcome.head.seq > session.head_seq) {
          return this.failed(id, sync, session.head_seq, {
            type: 'refused',
            status: 409,
            code: 'gap',
            message: `the server holds seq ${outcome.head.seq}, past the local head ${session.head_seq}`,
          });
        }
        sync = this.acked(id, outcome.head);
        continue;
      }
      return this.failed(id, sync, session.head_seq, outcome);
    }
    const waitingFor = Math.max(session.head_seq, this.announced.get(id) ?? 0);
    if (sync.acked_seq < session.head_seq) this.queue.set(id, 0);
    else if (sync.acked_seq < waitingFor) this.queue.set(id, Date.now() + NOT_YET_APPLIED_MS);
    else this.announced.delete(id);
  }

  /** Records the server's head after a success, and clears the errors. */
  private acked(id: string, head: SessionHead): SyncRow {
    const row: SyncRow = {
      session_id: id,
      acked_seq: head.seq,
      acked_hash: head.hash,
      last_error: null,
      next_attempt_at: null,
      refused: null,
    };
    this.state!.put(row);
    this.failures.delete(id);
    this.unasked.delete(id);
    this.lastSuccessAt = Date.now();
    this.lastError = null;
    this.globalFailures = 0;
    this.changed();
    return row;
  }

  /** Acts on a failed request of session `id` (whose local head is `head`). */
  private failed(
    id: string,
    sync: SyncRow | undefined,
    head: number,
    outcome: Exclude<Outcome, { type: 'head' }>,
  ) {
    const now = Date.now();
    const base: SyncRow = sync ?? {
      session_id: id,
      acked_seq: 0,
      acked_hash: id,
      last_error: null,
      next_attempt_at: null,
      refused: null,
    };
    switch (outcome.type) {
      case 'refused':
        this.lastError = `session ${id} refused: ${outcome.message}`;
        // A session never asked about has no acknowledged position to keep: it is refused as it stands.
        this.state!.put({ ...base, last_error: outcome.message, next_attempt_at: null, refused: head });
        break;
      case 'unauthorized':
        this.rejectedToken = this.options.bearer.bearer();
        this.lastError = `the server refused the token (${outcome.message}); sign in again`;
        this.queue.set(id, 0);
        break;
      case 'rate_limited':
        this.globalUntil = now + outcome.retryAfterMs;
        this.lastError = `the server is busy (429); retrying after ${Math.ceil(outcome.retryAfterMs / 1000)} s`;
        this.queue.set(id, 0);
        break;
      case 'gap':
        // Only a head request can reach here with a gap, which it never answers: retry from the head.
        this.queue.set(id, 0);
        break;
      case 'unavailable': {
        const failures = (this.failures.get(id) ?? 0) + 1;
        this.failures.set(id, failures);
        this.globalFailures++;
        const policy = this.options.backoff ?? DEFAULT_BACKOFF;
        const retryAt = now + backoffDelay(failures, policy);
        this.globalUntil = now + backoffDelay(this.globalFailures, policy);
        this.lastError = outcome.message;
        const row = { ...base, last_error: outcome.message, next_attempt_at: retryAt };
        if (sync) this.state!.put(row);
        else this.unasked.set(id, row);
        this.queue.set(id, retryAt);
        break;
      }
    }
    this.changed();
  }

  /** Consecutive failures per session since its last success (for its backoff). */
  private readonly failures = new Map<string, number>();
  /** The last failure of sessions whose head the server has not told yet (they have no sync_state row). */
  private readonly unasked = new Map<string, SyncRow>();

  private setSignedOut(value: boolean): void {
    if (this.signedOut === value) return;
    this.signedOut = value;
    this.changed();
  }

  /** Schedules a `team` notice (status-notices.ts: throttled, only when the status changed). */
  private changed(): void {
    this.notices.changed();
  }
}
