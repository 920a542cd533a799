/**
 * The planner's estimate of the rows a held UPDATE or DELETE would touch (issue 17, point 6), for the
 * approver: "≈ 12,000 rows of public.orders". The statement is never run: only `EXPLAIN (VERBOSE, FORMAT
 * JSON)` of it — never ANALYZE — on a side connection of Glassbox's own ({@link CatalogConnection}, with the
 * connection's vaulted credentials), opened for the estimate and closed after it.
 *
 * Safety: the side connection starts with `default_transaction_read_only=on` and a short
 * `statement_timeout`, and the EXPLAIN goes through the extended protocol, so a text holding more than one
 * statement is refused by the server rather than run. Statements with parameters (`$1`, extended protocol)
 * get no estimate: PostgreSQL 15 and older cannot plan them without values (16's `GENERIC_PLAN` is not used).
 */
import { describeError } from '../common/errors.js';
import { CatalogConnection } from './catalog-connection.js';
import type { UpstreamTarget } from './upstream.js';

/** What an approval's subject gets as `context` from an estimate. */
export interface RowEstimate {
  /** The planner's "Plan Rows" of the rows the statement would update or delete (an estimate, not a count). */
  estimated_rows: number;
  /** The table written, `schema.table` as the plan names it. */
  estimate_of: string;
}

/** How long the whole estimate may take (connecting, planning), ms. */
export const ESTIMATE_TIMEOUT_MS = 3_000;

/**
 * Asks the planner. Resolves with the estimate, or with a string saying why there is none (an unreachable
 * server, a statement the server refuses to plan, a timeout); never rejects.
 */
export async function estimateRows(
  target: UpstreamTarget,
  sql: string,
  timeoutMs = ESTIMATE_TIMEOUT_MS,
): Promise<RowEstimate | string> {
  let side: CatalogConnection | undefined;
  try {
    side = await CatalogConnection.open(target, timeoutMs, {
      application_name: 'glassbox estimate',
      statement_timeout: String(timeoutMs),
      default_transaction_read_only: 'on',
    });
    const rows = await side.single(`EXPLAIN (VERBOSE, FORMAT JSON) ${sql}`, timeoutMs);
    const plan = rows[0]?.[0];
    return (plan && planEstimate(plan)) ?? 'the plan names no table written';
  } catch (error) {
    return `no estimate: ${describeError(error)}`;
  } finally {
    side?.close();
  }
}

/** A plan node of `EXPLAIN (FORMAT JSON)` as far as the estimate reads it (PostgreSQL docs, EXPLAIN). */
interface PlanNode {
  'Node Type'?: unknown;
  'Plan Rows'?: unknown;
  'Relation Name'?: unknown;
  Schema?: unknown;
  Plans?: unknown;
}

/**
 * The estimate in an `EXPLAIN (VERBOSE, FORMAT JSON)` result: the top node is the ModifyTable naming the table
 * (with VERBOSE, its schema too); since PostgreSQL plans a ModifyTable without RETURNING at 0 rows, the rows
 * are those of the node beneath it (the scan feeding it). Undefined for anything else.
 */
export function planEstimate(json: string): RowEstimate | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  const top = (Array.isArray(parsed) ? (parsed[0] as { Plan?: PlanNode } | undefined) : undefined)?.Plan;
  if (top?.['Node Type'] !== 'ModifyTable' || typeof top['Relation Name'] !== 'string') return undefined;
  const below = Array.isArray(top.Plans) ? (top.Plans[0] as PlanNode | undefined) : undefined;
  const rows = below?.['Plan Rows'] ?? top['Plan Rows'];
  if (typeof rows !== 'number' || !Number.isFinite(rows) || rows < 0) return undefined;
  const table =
    typeof top.Schema === 'string' ? `${top.Schema}.${top['Relation Name']}` : top['Relation Name'];
  return { estimated_rows: Math.round(rows), estimate_of: table };
}
