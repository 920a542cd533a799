import {
  type FieldDescription,
  parseCommandComplete,
  parseCopyResponse,
  parseParameterStatus,
} from './backend-messages.js';
import { type CopyPlan, maskCopyData } from './copy-masking.js';
import { copyOutStatement } from './copy-statement.js';
import type { Execution } from './execution.js';
import type { Frame } from './framer.js';
import {
  bindFormat,
  type ColumnMask,
  type MaskPlan,
  maskPlan,
  tablesToResolve,
  wireText,
} from './mask-plan.js';
import { ClientEncoding, type PgMaskingSource } from './masking.js';
import { BACKEND } from './messages.js';
import type { TableNames } from './table-names.js';
import { ProtocolError } from './wire.js';

/** What one session's wire masking needs. */
export interface WireMaskingContext {
  /** The Glassbox connection's name, as column rules name it. */
  connection: string;
  /** The policy now; read at each result set, so a change applies to the next one. */
  policy: PgMaskingSource;
  /** Resolves table OIDs for this session's database; undefined: names are never resolved. */
  tables: TableNames | undefined;
  /** client_encoding as the server reported it at start-up. */
  clientEncoding: string | undefined;
  /** Something masking could not do as the policy asks; recorded (relay.ts) as a `pg.error` of context `masking`. */
  warn: (message: string) => void;
}

/** Command tags after which table and column names may have changed. */
const DDL_TAG = /^(CREATE|ALTER|DROP|COMMENT|GRANT|REVOKE|IMPORT|REINDEX|TRUNCATE)\b/;

/**
 * Masks one session's replies on their way to the client, by the column rules that apply on the wire
 * (DESIGN.md, "Masking"; PostgreSQL docs, 55.7 "Message Formats"):
 * - DataRow: each value of a masked column is replaced and the message re-framed with its new lengths. Text
 *   format: the masked text for text types, a JSON string for json/jsonb, NULL for every other type and for
 *   the `null` action (masking.ts, `wireForm`). Binary format: NULL.
 * - COPY OUT: each CopyData row the same way, in text, CSV or binary format (copy-masking.ts), the columns
 *   learnt by describing the COPY's source on the side connection (copy-statement.ts). When they cannot be
 *   learnt, every value of the COPY is NULL.
 * Every other message, and rows of results without masked columns, are forwarded as the bytes they came as.
 *
 * Table names are resolved before a result's first row goes out (TableNames), so a `table.column` rule
 * applies from the first row: the relay holds that result's rows — pausing the upstream socket, so nothing
 * piles up — until the lookup is done or has failed (at most TableNamesOptions.timeoutMs); after a failure
 * the result is masked by column names alone and the failure recorded.
 */
export class WireMasker {
  private readonly encoding: ClientEncoding;
  /** The COPY OUT streaming now, when it has masked columns (or unknown ones). */
  private copy: CopyPlan | undefined;
  /** CopyOutResponses seen per statement (a Query may run several COPYs). */
  private readonly copies = new WeakMap<Execution, number>();
  /** The columns whose table lookup has run once (it is not waited for again, even if it failed). */
  private attempted: FieldDescription[] | undefined;
  /** Warnings recorded already (each once per session: a failing lookup is not retried for a while). */
  private readonly warned = new Set<string>();
  /** The COPY whose columns are being described, and the answer once it came. */
  private copyLookup: { frame: Frame; answer?: FieldDescription[] | string } | undefined;

  constructor(private readonly ctx: WireMaskingContext) {
    this.encoding = new ClientEncoding(ctx.clientEncoding);
  }

  /**
   * What to forward for `frame`, a message the tracker has seen (`execution`: the statement it answers): its
   * own bytes, a rewritten message, or a promise to wait for, after which the relay asks again for the same
   * frame. @throws ProtocolError for a DataRow that does not hold what it declares
   */
  frame(frame: Frame, execution: Execution | undefined): Buffer | Promise<void> {
    switch (frame.type) {
      case BACKEND.DataRow: {
        if (!execution) return frame.raw;
        const plan = this.rowPlan(execution);
        if (plan instanceof Promise) return plan;
        return plan?.wire ? maskDataRow(frame.body, plan, this.encoding) : frame.raw;
      }
      case BACKEND.CopyData: {
        const copy = this.copy;
        if (!copy) return frame.raw;
        const body = maskCopyData(frame.body, copy, this.encoding);
        return body ? framed(BACKEND.CopyData, [body], body.length) : frame.raw;
      }
      case BACKEND.CopyOutResponse:
        return execution ? (this.startCopy(frame, execution) ?? frame.raw) : frame.raw;
      case BACKEND.CommandComplete:
        this.copy = undefined;
        if (DDL_TAG.test(parseCommandComplete(frame.body))) this.ctx.tables?.invalidate();
        return frame.raw;
      case BACKEND.CopyDone:
      case BACKEND.ErrorResponse:
      case BACKEND.ReadyForQuery:
        this.copy = undefined;
        return frame.raw;
      case BACKEND.ParameterStatus: {
        const { name, value } = parseParameterStatus(frame.body);
        if (name === 'client_encoding') this.encoding.set(value);
        return frame.raw;
      }
      default:
        return frame.raw;
    }
  }

  private warn(message: string): void {
    if (this.warned.has(message)) return;
    if (this.warned.size >= 100) this.warned.clear();
    this.warned.add(message);
    this.ctx.warn(message);
  }

  /** The plan of the result set `execution` is streaming, or a promise to wait for its table names first. */
  private rowPlan(execution: Execution): MaskPlan | Promise<void> | undefined {
    const columns = execution.rowColumns ?? execution.columns;
    if (!columns) return undefined;
    if (execution.maskPlan?.columns === columns) return execution.maskPlan;
    const policy = this.ctx.policy();
    const { tables } = this.ctx;
    if (this.attempted !== columns) {
      const oids = tablesToResolve(columns, policy, tables);
      if (oids.length > 0 && tables) {
        this.attempted = columns;
        return tables.resolve(oids).then((failure) => {
          if (failure)
            this.warn(`table names unknown, so columns are masked by their names alone: ${failure}`);
        });
      }
    }
    const simple = execution.rowColumns !== undefined;
    const formatOf = (i: number) =>
      simple ? (columns[i]?.format ?? 0) : bindFormat(execution.resultFormats, i);
    execution.maskPlan = maskPlan(this.ctx.connection, columns, formatOf, policy, tables);
    return execution.maskPlan;
  }

  /** Starts masking a COPY OUT; a promise while its columns are looked up; undefined when nothing is masked. */
  private startCopy(frame: Frame, execution: Execution): Promise<void> | undefined {
    this.copy = undefined;
    const policy = this.ctx.policy();
    if (policy.wireRules === false) return undefined;
    const index = this.copies.get(execution) ?? 0;
    const statement = copyOutStatement(execution.payload.sql ?? '', index);
    const { tables } = this.ctx;
    if (statement && tables && this.copyLookup?.frame !== frame) {
      const lookup: { frame: Frame; answer?: FieldDescription[] | string } = { frame };
      this.copyLookup = lookup;
      return tables.describe(statement.source).then((answer) => {
        lookup.answer = answer;
      });
    }
    const answer = this.copyLookup?.frame === frame ? this.copyLookup.answer : undefined;
    this.copyLookup = undefined;
    this.copies.set(execution, index + 1);
    const response = parseCopyResponse(frame.body);
    const options = statement?.options ?? {
      format: 'text' as const,
      delimiter: '\t',
      null: '\\N',
      quote: '"',
      escape: '"',
      header: false,
    };
    if (response.format === 1) options.format = 'binary';
    let masks: Array<ColumnMask | undefined> | undefined;
    if (Array.isArray(answer) && answer.length === response.columns) {
      const format = response.format;
      masks = maskPlan(this.ctx.connection, answer, () => format, policy, tables).masks;
      if (!masks.some((mask) => mask?.rule.wire)) return undefined;
    } else {
      const why = !statement
        ? 'the COPY statement could not be read'
        : typeof answer === 'string'
          ? answer
          : `its source describes ${Array.isArray(answer) ? answer.length : 'no'} columns, the COPY sends ${response.columns}`;
      this.warn(`the columns of a COPY are unknown, so every value it sends is NULL: ${why}`);
    }
    this.copy = { policy, options, columns: response.columns, masks, seen: 0 };
    return undefined;
  }
}

/** A whole message: type byte, Int32 length, then `parts` (`size` bytes in all). */
function framed(type: number, parts: Buffer[], size: number): Buffer {
  const header = Buffer.allocUnsafe(5);
  header[0] = type;
  header.writeInt32BE(size + 4, 1);
  return Buffer.concat([header, ...parts], size + 5);
}

const NULL_LENGTH = Buffer.from([0xff, 0xff, 0xff, 0xff]);

/**
 * A DataRow (PostgreSQL docs, 55.7: Int16 count, then per column an Int32 length, -1 for NULL, and the bytes)
 * with the values of wire-masked columns replaced, re-framed.
 * @throws ProtocolError when a length runs past the message
 */
export function maskDataRow(body: Buffer, plan: MaskPlan, encoding: ClientEncoding): Buffer {
  if (body.length < 2) throw new ProtocolError('DataRow shorter than its column count');
  const count = body.readInt16BE(0);
  const parts: Buffer[] = [];
  let size = 0;
  let copyFrom = 0;
  let offset = 2;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > body.length) throw new ProtocolError('DataRow ends inside a column length');
    const length = body.readInt32BE(offset);
    const end = offset + 4 + Math.max(length, 0);
    if (length < -1 || end > body.length) throw new ProtocolError('DataRow column runs past the message');
    const mask = plan.masks[i];
    if (mask?.rule.wire && length !== -1) {
      parts.push(body.subarray(copyFrom, offset));
      size += offset - copyFrom;
      const text = mask.format === 0 ? wireText(mask, encoding.decode(body.subarray(offset + 4, end))) : null;
      const value = text === null ? undefined : encoding.encode(text);
      if (value) {
        const header = Buffer.allocUnsafe(4);
        header.writeInt32BE(value.length);
        parts.push(header, value);
        size += 4 + value.length;
      } else {
        parts.push(NULL_LENGTH);
        size += 4;
      }
      copyFrom = end;
    }
    offset = end;
  }
  parts.push(body.subarray(copyFrom));
  size += body.length - copyFrom;
  return framed(BACKEND.DataRow, parts, size);
}
