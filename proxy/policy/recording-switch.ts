import { nowMicros } from '../common/time.js';
import type { Store } from '../store/store.js';
import type { Identity } from '../store/types.js';
import { actorName, actorOf } from './actor.js';

/** Who asked to pause or resume recording, as recorded in the event. */
export interface SwitchActor {
  /**
   * The engine's identity when asked: the signed-in person (verified), else the OS user of the engine (the
   * control API is that user's alone).
   */
  identity: Identity;
  /** The client that asked: `tray`, `dashboard`, `cli`, … (free text from the request, at most 64 chars). */
  via: string;
  /** Optional reason given by the user (at most 500 chars). */
  reason?: string;
}

/** Whether the engine is recording; what the control API answers at GET /api/recording. */
export interface RecordingState {
  recording: boolean;
  /** Present while paused. */
  paused: {
    /** When recording was paused, µs since epoch. */
    since: number;
    /** Who paused it (the verified email when signed in, else the OS user) and through what client. */
    by: string;
    via: string;
    /** The session holding the `recording.paused` event (kind `http`, target `glassbox`). */
    session_id: string;
  } | null;
}

/** The read side the proxies consult before recording: `paused` true means forward without recording. */
export interface PauseCheck {
  readonly paused: boolean;
}

/**
 * The engine-wide recording switch. Proxies consult {@link RecordingSwitch.paused} where they record; while
 * it is true traffic is forwarded unrecorded. Pausing and resuming are themselves recorded: each pause opens
 * a session (kind `http`, target `glassbox`, client `glassbox-control`) whose first event is
 * `recording.paused` {by, via, reason, actor} and whose last is `recording.resumed` {by, via, paused_us,
 * actor} (`by` names the person, `actor` is the whole {@link actorOf} of the identity asking); the
 * session's start and end are the unrecorded gap. The engine starts recording (a restart never stays paused).
 */
export class RecordingSwitch implements PauseCheck {
  private state: RecordingState['paused'] = null;

  constructor(private readonly store: Store) {}

  /** True while recording is paused. */
  get paused(): boolean {
    return this.state !== null;
  }

  /** The current state, for the control API. */
  current(): RecordingState {
    return { recording: this.state === null, paused: this.state ? { ...this.state } : null };
  }

  /**
   * Pauses recording (no-op when already paused). The `recording.paused` event is committed before the
   * switch flips, so no unrecorded traffic precedes its record.
   * @throws Error from the store when the event cannot be written; the switch then stays on.
   */
  pause(actor: SwitchActor): RecordingState {
    if (this.state) return this.current();
    const session = this.store.createSession({
      kind: 'http',
      target: 'glassbox',
      client: 'glassbox-control',
      identity: actor.identity,
      external_id: null,
    });
    const by = actorName(actor.identity);
    const { ts } = this.store.append(
      session.id,
      'recording.paused',
      { by, via: actor.via, reason: actor.reason ?? null, actor: actorOf(actor.identity) },
      { text: `recording paused by ${by} via ${actor.via}` },
    );
    this.state = { since: ts, by, via: actor.via, session_id: session.id };
    return this.current();
  }

  /**
   * Resumes recording (no-op when recording). The switch flips first, so traffic from here on is recorded
   * even if writing the `recording.resumed` event fails.
   * @throws Error from the store when the event cannot be written (recording is on regardless).
   */
  resume(actor: SwitchActor): RecordingState {
    const paused = this.state;
    if (!paused) return this.current();
    this.state = null;
    const now = nowMicros();
    this.store.append(
      paused.session_id,
      'recording.resumed',
      {
        by: actorName(actor.identity),
        via: actor.via,
        reason: actor.reason ?? null,
        paused_us: now - paused.since,
        actor: actorOf(actor.identity),
      },
      { ts: now },
    );
    this.store.endSession(paused.session_id, 'resumed');
    return this.current();
  }
}
