import { monoMicros } from '../common/time.js';
import type { ErrorFields, FieldDescription } from './backend-messages.js';
import { rowsFromTag } from './backend-messages.js';
import type { MaskPlan } from './mask-plan.js';

/** A bound parameter as recorded: text as is, binary as base64 with its type OID. */
export interface RecordedParam {
  value: string | null;
  format: 'text' | 'binary';
  type_oid: number;
}

/** The payload of a `pg.statement` event, recorded before the statement is forwarded. */
export interface StatementPayload {
  protocol: 'simple' | 'extended' | 'function';
  sql: string | null;
  statement?: string;
  portal?: string;
  params?: RecordedParam[];
  max_rows?: number;
  function_oid?: number;
  /** How many values each detector or column rule masked in `sql` and `params` (masking, never values). */
  masked?: Record<string, number>;
}

/** The payload of a `pg.result` event: a statement's outcome. Durations in µs. */
export interface ResultPayload {
  statement_seq: number;
  /**
   * `interrupted`: the engine stopped before the outcome came; `recording_failed`: the statement went upstream
   * but its outcome could not be recorded (see recorder.ts).
   */
  outcome: 'complete' | 'error' | 'suspended' | 'aborted' | 'interrupted' | 'recording_failed';
  tags: string[];
  rows: number;
  duration_us: number;
  columns: Array<{ name: string; type_oid: number }> | null;
  sample: Array<Array<string | null>>;
  sample_truncated: boolean;
  copy?: 'in' | 'out';
  error?: RecordedError;
  /** How many values each detector or column rule masked in `sample` and `error` (never values). */
  masked?: Record<string, number>;
}

/** An ErrorResponse as recorded. */
export interface RecordedError {
  sqlstate: string;
  severity: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: number;
}

/** One statement on its way: created when the client sends it, finished when its outcome arrives. */
export class Execution {
  /** seq of the `pg.statement` event, set when it is recorded (before forwarding). */
  seq = 0;
  started = 0;
  readonly tags: string[] = [];
  /** DataRows seen; the command tags' counts are preferred (they also count COPY and DML rows). */
  dataRows = 0;
  readonly sample: Array<Array<string | null>> = [];
  sampleTruncated = false;
  columns: FieldDescription[] | null;
  /**
   * Simple protocol: the RowDescription of the result set now streaming (a Query may return several; `columns`
   * keeps the first). Undefined in the extended protocol, where `columns` with `resultFormats` describe it.
   */
  rowColumns: FieldDescription[] | undefined;
  /** How masking treats the result set now streaming (wire-masking.ts), made at its first row. */
  maskPlan: MaskPlan | undefined;
  copy: 'in' | 'out' | undefined;
  error: RecordedError | undefined;
  /** The prepared statement this execution runs, if known (to fill in a description that arrives later). */
  statementRef: PreparedStatement | undefined;
  /** Set when a second result set starts: the sample keeps the first only. */
  sampleClosed = false;
  /** SQL to put in the full-text index with the outcome (undefined when this session indexed it already). */
  searchText: string | undefined;
  /**
   * Forwarded while recording was paused: nothing about it is recorded, so its outcome is neither sampled
   * nor built.
   */
  unrecorded = false;

  constructor(
    readonly payload: StatementPayload,
    columns: FieldDescription[] | null,
    /** Result column formats requested by Bind (0 text, 1 binary); empty = all text. */
    readonly resultFormats: number[] = [],
  ) {
    this.columns = columns;
  }

  result(outcome: ResultPayload['outcome']): ResultPayload {
    // Keys in sorted order, so the payload is already canonical JSON (see canonical-json.ts).
    return {
      columns: this.columns?.map((c) => ({ name: c.name, type_oid: c.typeOid })) ?? null,
      ...(this.copy ? { copy: this.copy } : {}),
      duration_us: this.started ? monoMicros() - this.started : 0,
      ...(this.error ? { error: this.error } : {}),
      outcome: outcome === 'complete' && this.error ? 'error' : outcome,
      rows:
        this.tags.length > 0
          ? this.tags.reduce((sum, tag) => sum + (rowsFromTag(tag) ?? 0), 0)
          : this.dataRows,
      sample: this.sample,
      sample_truncated: this.sampleTruncated,
      statement_seq: this.seq,
      tags: this.tags,
    };
  }
}

/** A prepared statement as the tracker knows it; one object from Parse to Close, so references stay valid. */
export interface PreparedStatement {
  sql: string;
  paramTypes: number[];
  columns: FieldDescription[] | null;
}

/** An ErrorResponse's fields as recorded (SQLSTATE, severity, message, detail, hint, position). */
export function recordError(fields: ErrorFields): RecordedError {
  return {
    sqlstate: fields.C ?? '',
    severity: fields.V ?? fields.S ?? '',
    message: fields.M ?? '',
    ...(fields.D ? { detail: fields.D } : {}),
    ...(fields.H ? { hint: fields.H } : {}),
    ...(fields.P ? { position: Number(fields.P) } : {}),
  };
}
