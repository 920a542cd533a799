import type { Socket } from 'node:net';
import { describeError } from '../common/errors.js';
import { monoMicros } from '../common/time.js';
import type { PauseCheck } from '../policy/recording-switch.js';
import { isDiskFull } from '../store/unavailable.js';
import {
  type ErrorFields,
  errorResponse,
  parseErrorFields,
  parseParameterStatus,
} from './backend-messages.js';
import { type Frame, Framer } from './framer.js';
import { terminate } from './frontend-messages.js';
import { type GateSettings, GuardGate } from './guard-gate.js';
import { refusedReply } from './guard-refusals.js';
import { BACKEND, FRONTEND, isFrontendType } from './messages.js';
import { Outbox } from './outbox.js';
import { Pieces } from './pieces.js';
import type { PgRecorder } from './recorder.js';
import type { StatementTracker } from './tracker.js';
import { emptyOutput, type TrackerOutput } from './tracker-output.js';
import { ProtocolError } from './wire.js';
import type { WireMasker } from './wire-masking.js';

/** Why a relayed session ended, as recorded in `session.end`. */
export type RelayEndReason =
  | 'client_terminated'
  | 'client_closed'
  | 'upstream_closed'
  | 'protocol_violation'
  | 'recording_failed'
  | 'shutdown'
  | 'connection_removed';

/** Frames from the upstream waiting for the masker; `closed`: the upstream closed meanwhile. */
interface Held {
  frames: Frame[];
  closed?: boolean;
}

/**
 * Relays an authenticated session in both directions after start-up, recording as it goes.
 *
 * Client → upstream: bytes are framed and checked (unknown message types and malformed messages end the
 * session with FATAL 08P01); a chunk that completes a Query, Execute or FunctionCall is held in the outbox
 * until its `pg.statement` is committed. Chunks are forwarded as they came, never re-encoded — except with
 * guardrails (guard-gate.ts): then whole messages go upstream as the gate lets them (a refused statement as
 * its stand-in, a held one when decided), and the server's reply to a stand-in is rewritten into Glassbox's.
 * Upstream → client: bytes are framed for the tracker (row counts, samples, errors, notices) and forwarded
 * whole message by whole message — as the bytes they came as, except what wire masking rewrites
 * (wire-masking.ts) — with backpressure: a slow client pauses the upstream socket, so a result set streams
 * through in bounded memory. Outcomes are sealed as they complete without delaying the reply.
 */
export class PgRelay {
  private readonly clientFramer = new Framer();
  private readonly upstreamFramer = new Framer();
  private readonly toUpstream: Outbox;
  private ended = false;
  private clientTerminated = false;
  /** The server sent a FATAL (or PANIC) ErrorResponse, so it is about to close the connection. */
  private upstreamFatal = false;
  /** The client's socket is full: the upstream is paused until it drains. */
  private clientFull = false;
  /** Frames from the upstream waiting for the masker (the first followed by the tracker already). */
  private held: Held | undefined;
  /** The guardrails' enforcement point (guard-gate.ts), when the proxy has a guard. */
  private readonly gate: GuardGate | undefined;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly tracker: StatementTracker,
    private readonly recorder: PgRecorder,
    private readonly onEnd: (reason: RelayEndReason) => void,
    /** Rewrites replies by the wire masking rules (wire-masking.ts). */
    private readonly masker: WireMasker,
    /** The engine's recording switch: while `paused`, statements are forwarded without being recorded. */
    private readonly pause?: PauseCheck,
    /**
     * The guardrails: with them every statement is checked before it is forwarded, and client bytes go
     * upstream as whole messages (never part of one not yet checked) instead of as the chunks they came in.
     */
    guard?: GateSettings,
  ) {
    this.toUpstream = new Outbox(upstream, client);
    this.gate =
      guard &&
      new GuardGate(guard, {
        tracker,
        recorder,
        upstream: (bytes) => this.toUpstream.push(bytes),
        client: (bytes) => {
          if (!this.ended && !this.client.destroyed) this.client.write(bytes);
        },
        clientFlow: (paused) => {
          if (paused) this.client.pause();
          // While the upstream is full, the outbox resumes the client once it drains (outbox.ts).
          else if (!this.upstream.writableNeedDrain) this.client.resume();
        },
      });
  }

  /**
   * A CancelRequest for this session's backend arrived (cancel.ts): a statement waiting for approval is
   * withdrawn. The request itself is still forwarded upstream, as ever.
   */
  cancelRequested(): void {
    if (!this.ended) this.gate?.cancel();
  }

  /** Starts relaying; `clientBytes` and `upstreamBytes` are what each side sent during start-up but unread. */
  start(clientBytes: Buffer, upstreamBytes: Buffer): void {
    this.client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    this.upstream.on('data', (chunk: Buffer) => this.fromUpstream(chunk));
    this.client.on('close', () => this.finish(this.clientTerminated ? 'client_terminated' : 'client_closed'));
    this.upstream.on('close', () => this.upstreamGone());
    this.client.on('error', () => this.client.destroy());
    this.upstream.on('error', () => this.upstream.destroy());
    if (upstreamBytes.length) this.fromUpstream(upstreamBytes);
    if (clientBytes.length) this.fromClient(clientBytes);
    this.client.resume();
    this.upstream.resume();
  }

  /**
   * Ends the session from Glassbox's side with FATAL 57P01 (admin_shutdown): the engine is stopping, or
   * (`reason` 'connection_removed') the connection was removed from config.json.
   */
  shutdown(reason: 'shutdown' | 'connection_removed' = 'shutdown'): void {
    if (this.ended) return;
    const why = reason === 'shutdown' ? 'Glassbox is shutting down' : 'its Glassbox connection was removed';
    this.client.end(errorResponse('57P01', `terminating connection: ${why}`, { S: 'FATAL' }));
    this.upstream.end(terminate());
    this.finish(reason);
  }

  private fromClient(chunk: Buffer): void {
    if (this.ended) return; // after a FATAL or shutdown nothing more is recorded or forwarded
    const out = emptyOutput();
    const gate = this.gate;
    try {
      for (const frame of this.clientFramer.push(chunk)) {
        if (!isFrontendType(frame.type)) {
          throw new ProtocolError(
            `invalid frontend message type ${frame.type} ('${String.fromCharCode(frame.type)}')`,
          );
        }
        if (frame.type === FRONTEND.Terminate) this.clientTerminated = true;
        if (gate) gate.frame(frame, out);
        else this.tracker.onFrontend(frame, out);
      }
    } catch (error) {
      this.violation(error);
      return;
    }
    // The guard's follow-ups (approval requests, guard events) need the statements' seqs.
    const after = gate?.takeAfterRecording();
    if (out.record.length > 0 && this.pause?.paused) {
      for (const execution of out.record) execution.unrecorded = true;
      after?.();
    } else if (out.record.length > 0) {
      this.toUpstream.hold();
      this.recorder.statements(out.record, (error) => {
        if (error) return this.recordingFailed(error);
        const now = monoMicros();
        for (const execution of out.record) execution.started = now;
        after?.();
        this.toUpstream.release();
      });
    } else after?.();
    // Outcomes known already (statements the server will skip), sealed after the statements just queued.
    this.record(out);
    if (gate) gate.flush();
    else this.toUpstream.push(chunk);
  }

  private fromUpstream(chunk: Buffer): void {
    if (this.ended) return;
    let frames: Frame[];
    try {
      frames = this.upstreamFramer.push(chunk);
    } catch (error) {
      this.upstreamBroke(error);
      return;
    }
    if (!this.held) this.forward(frames, 0, false);
    else for (const frame of frames) this.held.frames.push(frame);
  }

  /**
   * Follows `frames[from…]` in the tracker and forwards them, as masked, in one write. Stops at a frame the
   * masker cannot answer yet (a result's table names are being resolved): those frames are held, the upstream
   * paused, and forwarding goes on from there once the masker is ready. `tracked`: the first was followed
   * already.
   */
  private forward(frames: Frame[], from: number, tracked: boolean): void {
    const out = emptyOutput();
    const pieces = new Pieces();
    try {
      for (let i = from; i < frames.length; i++) {
        let frame = frames[i]!;
        if (!tracked || i > from) {
          // The server's refusal of a refused statement's stand-in becomes Glassbox's (guard-refusals.ts).
          if (this.gate) frames[i] = frame = refusedReply(frame, this.tracker.verdict());
          if (this.gate && frame.type === BACKEND.ParameterStatus) {
            const { name, value } = parseParameterStatus(frame.body);
            this.gate.parameter(name, value);
          }
          if (frame.type === BACKEND.ErrorResponse && isFatal(parseErrorFields(frame.body)))
            this.upstreamFatal = true;
          this.tracker.onBackend(frame, out);
        }
        const bytes = this.masker.frame(frame, this.tracker.current());
        if (bytes instanceof Promise) {
          this.hold(frames.slice(i), bytes);
          break;
        }
        pieces.add(bytes);
      }
    } catch (error) {
      this.upstreamBroke(error);
      return;
    }
    // The reply goes out first: recording its outcome is never on the client's path.
    const bytes = pieces.take();
    if (bytes && !this.client.write(bytes) && !this.clientFull) {
      this.clientFull = true;
      this.upstreamFlow();
      this.client.once('drain', () => {
        this.clientFull = false;
        this.upstreamFlow();
      });
    }
    this.record(out);
  }

  /** Holds `frames` (the first followed already) until `ready`, pausing the upstream meanwhile. */
  private hold(frames: Frame[], ready: Promise<void>): void {
    const held: Held = { frames };
    this.held = held;
    this.upstreamFlow();
    void ready.then(() => {
      if (this.ended || this.held !== held) return;
      this.held = undefined;
      this.forward(held.frames, 0, true);
      // Forwarding may have stopped at another hold, which then owns a close seen meanwhile.
      const again = this.held as Held | undefined;
      if (!held.closed) this.upstreamFlow();
      else if (again) again.closed = true;
      else this.upstreamGone();
    });
  }

  /** Reads from the upstream while the client keeps up and nothing is held; else pauses it (backpressure). */
  private upstreamFlow(): void {
    if (this.clientFull || this.held) this.upstream.pause();
    else if (this.upstream.isPaused()) this.upstream.resume();
  }

  /** The server broke the protocol: nothing sensible can follow. */
  private upstreamBroke(error: unknown): void {
    this.recorder.event('pg.error', {
      sqlstate: '08P01',
      message: `upstream: ${describeError(error)}`,
      context: 'upstream',
    });
    this.client.end(
      errorResponse('08P01', `Glassbox: the upstream server sent a malformed message`, { S: 'FATAL' }),
    );
    this.upstream.destroy();
    this.finish('protocol_violation');
  }

  private record(out: TrackerOutput): void {
    for (const item of out.emitted) {
      // A statement forwarded while paused has no pg.statement, so the recorder skips its result.
      if (item.type === 'result') this.recorder.result(item.execution, item.outcome);
      else if (this.pause?.paused) continue;
      else this.recorder.event(item.kind, item.payload);
    }
  }

  private violation(error: unknown): void {
    const message = error instanceof ProtocolError ? error.message : describeError(error);
    this.recorder.event('pg.error', { sqlstate: '08P01', message, context: 'client' }, { errors: 1 });
    this.client.end(errorResponse('08P01', message, { S: 'FATAL' }));
    this.upstream.end(terminate());
    this.finish('protocol_violation');
  }

  private recordingFailed(error: Error): void {
    // Nothing the client sent goes upstream unrecorded. The connection ends (its pipeline cannot be answered
    // in part), so the server rolls back whatever transaction was open.
    const message = `Glassbox could not record the statement, so it was not run: ${error.message}`;
    this.client.end(errorResponse(recordingFailedSqlstate(error), message, { S: 'FATAL' }));
    this.upstream.destroy();
    this.finish('recording_failed');
  }

  private upstreamGone(): void {
    if (this.ended) return;
    // What the server sent before closing goes out first (it may end with the FATAL that explains the close).
    if (this.held) {
      this.held.closed = true;
      return;
    }
    // After the client's Terminate the server closes its side, possibly before the client's socket closes.
    if (this.clientTerminated) {
      this.finish('client_terminated');
      return;
    }
    // After a FATAL (e.g. 57P01 from pg_terminate_backend) the client already has the server's reason; the
    // close is what PostgreSQL does next, so it is passed on as is, not reported a second time.
    if (!this.client.destroyed && !this.upstreamFatal) {
      this.client.end(
        errorResponse('08006', 'Glassbox: the upstream server closed the connection unexpectedly', {
          S: 'FATAL',
        }),
      );
    }
    this.finish('upstream_closed');
  }

  private finish(reason: RelayEndReason): void {
    if (this.ended) return;
    this.ended = true;
    this.gate?.close(
      reason === 'client_closed' || reason === 'client_terminated'
        ? 'the client disconnected'
        : `the connection ended (${reason})`,
    );
    this.toUpstream.clear();
    for (const execution of this.tracker.pending()) {
      execution.error ??= { sqlstate: '08006', severity: 'FATAL', message: `connection ended (${reason})` };
      this.recorder.result(execution, 'aborted');
    }
    if (!this.upstream.destroyed) this.upstream.end();
    if (!this.client.destroyed) this.client.end();
    this.onEnd(reason);
  }
}

/**
 * The SQLSTATE for a statement Glassbox could not record: 53100 disk_full when the store has no room to write,
 * else 58030 io_error (PostgreSQL docs, Appendix A "PostgreSQL Error Codes").
 */
export function recordingFailedSqlstate(error: unknown): string {
  return isDiskFull(error) ? '53100' : '58030';
}

/** FATAL and PANIC errors end the session (PostgreSQL docs, 55.2.7 "Termination"); ERROR does not. */
function isFatal(fields: ErrorFields): boolean {
  const severity = fields.V ?? fields.S;
  return severity === 'FATAL' || severity === 'PANIC';
}
