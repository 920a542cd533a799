/**
 * What the statement tracker (tracker.ts) hands the relay, and how it builds it: the executions Bind and
 * Execute start, the sampled result rows, and the events recorded besides statements.
 */

import { parseNotification } from './backend-messages.js';
import { Execution, type PreparedStatement, type ResultPayload, type StatementPayload } from './execution.js';
import type { BindMessage } from './frontend-messages.js';

/** Something to record after the fact, in the order the server said it. */
export type Emitted =
  /** A statement whose outcome is known, to seal (need not delay forwarding). */
  | { type: 'result'; execution: Execution; outcome: ResultPayload['outcome'] }
  /** Any other event: errors outside a statement, notices, notifications, parameter changes. */
  | { type: 'event'; kind: string; payload: Record<string, unknown> };

/** What the relay must do about messages it saw. */
export interface TrackerOutput {
  /** Statements to record before the bytes that carry them are forwarded. */
  record: Execution[];
  /** Outcomes and events, in wire order. */
  emitted: Emitted[];
}

/** A fresh, empty output to pass to the tracker. */
export function emptyOutput(): TrackerOutput {
  return { record: [], emitted: [] };
}

const MAX_VALUE_CHARS = 2_000;

/** The execution a Bind prepares: the statement it names (if known) with the parameter values as recorded. */
export function boundExecution(bind: BindMessage, statement: PreparedStatement | undefined): Execution {
  // Keys in sorted order here and below, so the payload is already canonical JSON (see canonical-json.ts).
  const execution = new Execution(
    {
      params: bind.values.map((value, i) => {
        const format = (bind.paramFormats.length === 1 ? bind.paramFormats[0] : bind.paramFormats[i]) ?? 0;
        return {
          format: format === 1 ? 'binary' : 'text',
          type_oid: statement?.paramTypes[i] ?? 0,
          value: value === null ? null : format === 1 ? value.toString('base64') : value.toString('utf8'),
        };
      }),
      portal: bind.portal,
      protocol: 'extended',
      sql: statement?.sql ?? null,
      statement: bind.statement,
    },
    statement?.columns ?? null,
    bind.resultFormats,
  );
  execution.statementRef = statement;
  return execution;
}

/**
 * The execution an Execute starts, from the portal's latest execution (`template`) if the portal is known.
 * Executing the same portal again (after PortalSuspended) is a new execution of the same statement.
 */
export function portalExecution(template: Execution | undefined, portal: string, maxRows: number): Execution {
  const execution = new Execution(
    {
      ...(maxRows ? { max_rows: maxRows } : {}),
      ...withoutMaxRows(template?.payload ?? { portal, protocol: 'extended', sql: null }),
    },
    template?.columns ?? null,
    template?.resultFormats,
  );
  execution.statementRef = template?.statementRef;
  return execution;
}

/** A DataRow's values as sampled: text as is, binary as base64, each cut at MAX_VALUE_CHARS. */
export function sampleRow(values: Array<Buffer | null>, resultFormats: number[]): Array<string | null> {
  return values.map((value, i) => {
    if (value === null) return null;
    const format = (resultFormats.length === 1 ? resultFormats[0] : resultFormats[i]) ?? 0;
    const text = format === 1 ? value.toString('base64') : value.toString('utf8');
    return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
  });
}

/** The payload of a `pg.notification` event, from a NotificationResponse body. */
export function notificationPayload(body: Buffer): Record<string, unknown> {
  const { processId, channel, payload } = parseNotification(body);
  return { process_id: processId, channel, payload };
}

function withoutMaxRows(payload: StatementPayload): StatementPayload {
  const { max_rows: _limit, ...rest } = payload;
  return rest;
}
