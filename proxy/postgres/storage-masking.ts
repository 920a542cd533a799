import type { TextMasker } from '../policy/masking/types.js';
import type {
  Execution,
  RecordedError,
  RecordedParam,
  ResultPayload,
  StatementPayload,
} from './execution.js';
import { bindFormat, type MaskPlan, maskPlan } from './mask-plan.js';
import { addCounts, type PgMaskingPolicy, type PgMaskingSource, storageAction } from './masking.js';
import { maskSqlLiterals } from './sql-masking.js';
import type { TableNames } from './table-names.js';

/** What a session's storage masking needs. */
export interface StorageMaskingContext {
  /** The Glassbox connection's name, as column rules name it. */
  connection: string;
  policy: PgMaskingSource;
  /** The session's table names (only what is cached is used: storage never waits for a lookup). */
  tables: TableNames | undefined;
}

/** SQL texts whose masked form a session remembers (a prepared statement runs thousands of times). */
const SQL_MEMORY = 1_000;

/**
 * Masks what one PostgreSQL session records before it reaches the store (DESIGN.md, "Masking": before
 * storage, always): the SQL text's literals and the parameters of `pg.statement` by the detectors; the
 * sampled rows of `pg.result` by the column rules (storage and wire rules alike; `null` acts as redact) and
 * the detectors; errors, notices and notifications by the detectors. Each masked payload gets
 * `masked: {id: count}` — which detectors or rules fired and how often, never a value. Payloads are copied,
 * never changed in place. Binary values are recorded as base64, masked ones too: a binary text value the
 * detectors change, or one a column rule masks, is the base64 of the masked text.
 */
export class StorageMasking {
  private readonly sqlMemory = new Map<string, { sql: string; counts: Record<string, number> }>();
  private sqlPolicy: PgMaskingPolicy | undefined;

  constructor(private readonly ctx: StorageMaskingContext) {}

  /** A `pg.statement` payload with its SQL literals and parameters masked. */
  statement(payload: StatementPayload): StatementPayload {
    const policy = this.ctx.policy();
    const counts: Record<string, number> = {};
    const sql = payload.sql === null ? null : this.sql(payload.sql, policy, counts);
    const params = payload.params?.map((param) => maskParam(param, policy.text, counts));
    if (Object.keys(counts).length === 0) return payload;
    return sorted({ ...payload, sql, ...(params ? { params } : {}), masked: counts });
  }

  /** A `pg.result` payload with its sample and error masked; `execution` says what its columns are. */
  result(payload: ResultPayload, execution: Execution): ResultPayload {
    const plan = payload.sample.length > 0 ? this.samplePlan(execution) : undefined;
    const policy = plan?.policy ?? execution.maskPlan?.policy ?? this.ctx.policy();
    const counts: Record<string, number> = {};
    const sample =
      payload.sample.length === 0
        ? payload.sample
        : payload.sample.map((row) =>
            row.map((cell, i) => this.cell(cell, i, plan, policy, execution, counts)),
          );
    const error = payload.error ? maskError(payload.error, policy.text, counts) : undefined;
    if (Object.keys(counts).length === 0) return payload;
    return sorted({ ...payload, sample, ...(error ? { error } : {}), masked: counts });
  }

  /**
   * Any other event's payload: `message`, `detail`, `hint` (errors, notices), `payload` (notifications) and
   * `value` (parameter changes) by the detectors, `sql` (an error's statement) by its literals.
   */
  event(payload: Record<string, unknown>): Record<string, unknown> {
    const policy = this.ctx.policy();
    const counts: Record<string, number> = {};
    const changed: Record<string, unknown> = {};
    for (const key of ['message', 'detail', 'hint', 'payload', 'value', 'sql']) {
      const value = payload[key];
      if (typeof value !== 'string') continue;
      const masked = key === 'sql' ? this.sql(value, policy, counts) : maskText(value, policy.text, counts);
      if (masked !== value) changed[key] = masked;
    }
    if (Object.keys(counts).length === 0) return payload;
    return { ...payload, ...changed, masked: counts };
  }

  private sql(sql: string, policy: PgMaskingPolicy, counts: Record<string, number>): string {
    if (this.sqlPolicy !== policy) {
      this.sqlMemory.clear();
      this.sqlPolicy = policy;
    }
    let masked = this.sqlMemory.get(sql);
    if (!masked) {
      masked = maskSqlLiterals(sql, policy.text);
      if (this.sqlMemory.size >= SQL_MEMORY) this.sqlMemory.clear();
      this.sqlMemory.set(sql, masked);
    }
    addCounts(counts, masked.counts);
    return masked.sql;
  }

  /** The plan for the sampled (first) result set: the wire's own when it was made for it, else from the cache. */
  private samplePlan(execution: Execution): MaskPlan | undefined {
    const { columns } = execution;
    if (!columns) return undefined;
    if (execution.maskPlan?.columns === columns) return execution.maskPlan;
    const simple = execution.rowColumns !== undefined;
    const formatOf = (i: number) =>
      simple ? (columns[i]?.format ?? 0) : bindFormat(execution.resultFormats, i);
    return maskPlan(this.ctx.connection, columns, formatOf, this.ctx.policy(), this.ctx.tables);
  }

  private cell(
    cell: string | null,
    index: number,
    plan: MaskPlan | undefined,
    policy: PgMaskingPolicy,
    execution: Execution,
    counts: Record<string, number>,
  ): string | null {
    if (cell === null) return null;
    const mask = plan?.masks[index];
    const binary = (mask?.format ?? bindFormat(execution.resultFormats, index)) === 1;
    if (mask) {
      const { action, rule } = mask.rule;
      counts[rule] = (counts[rule] ?? 0) + 1;
      const textual = mask.form !== 'null';
      const value = binary && textual ? Buffer.from(cell, 'base64').toString('utf8') : cell;
      const masked = policy.maskValue(value, storageAction(action), rule);
      return binary ? Buffer.from(masked, 'utf8').toString('base64') : masked;
    }
    return binary ? maskBase64(cell, policy.text, counts) : maskText(cell, policy.text, counts);
  }
}

function maskText(text: string, masker: TextMasker, counts: Record<string, number>): string {
  const result = masker.mask(text);
  if (result.spans.length === 0) return text;
  addCounts(counts, result.counts);
  return result.text;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Base64 of bytes that may be text: when they are UTF-8 and hold something to mask, base64 of the masked text. */
function maskBase64(base64: string, masker: TextMasker, counts: Record<string, number>): string {
  let text: string;
  try {
    text = UTF8.decode(Buffer.from(base64, 'base64'));
  } catch {
    return base64;
  }
  const masked = maskText(text, masker, counts);
  return masked === text ? base64 : Buffer.from(masked, 'utf8').toString('base64');
}

function maskParam(param: RecordedParam, masker: TextMasker, counts: Record<string, number>): RecordedParam {
  if (param.value === null) return param;
  const value =
    param.format === 'binary'
      ? maskBase64(param.value, masker, counts)
      : maskText(param.value, masker, counts);
  return value === param.value ? param : { ...param, value };
}

function maskError(error: RecordedError, masker: TextMasker, counts: Record<string, number>): RecordedError {
  const masked = { ...error, message: maskText(error.message, masker, counts) };
  if (error.detail !== undefined) masked.detail = maskText(error.detail, masker, counts);
  if (error.hint !== undefined) masked.hint = maskText(error.hint, masker, counts);
  return masked;
}

/** The same object with its keys in sorted order, so it stays canonical JSON as it is (see canonical-json.ts). */
function sorted<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}
