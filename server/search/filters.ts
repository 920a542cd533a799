/**
 * The read API's query parameters (validated by the routes' zod schemas, so a bad one is a 400 naming it) and
 * the SQL conditions they become over `sessions s` (and `events e` for text and time). Every query is
 * parameterised; values never reach SQL text.
 */
import type pg from 'pg';
import { z } from 'zod';
import { isAuditor, type Principal } from '../auth/principal.js';
import type { ServerConfig } from '../config.js';
import { HttpError } from '../http/errors.js';

const Micros = z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** How many rows a page may hold: default 50, at most 200. */
export const PageLimit = z.coerce.number().int().min(1).max(200).default(50);

/** Filters shared by `GET /v1/sessions` and `GET /v1/search`. */
export const FilterQuery = z.object({
  /** A person: their subject or email, case-insensitive. */
  person: z.string().min(1).max(320).optional(),
  /** One of the owner's groups (as their token said when they mirrored). */
  group: z.string().min(1).max(256).optional(),
  target: z.string().min(1).max(1024).optional(),
  kind: z.enum(['anthropic', 'postgres', 'http']).optional(),
  /** Sessions started (events recorded) at or after, µs since epoch. */
  from: Micros.optional(),
  /** … and before, µs since epoch (exclusive). */
  to: Micros.optional(),
  /** Full text, web-search syntax (`websearch_to_tsquery('simple', q)`): words, "phrases", or, -not. */
  q: z.string().min(1).max(1000).optional(),
  cursor: z.string().max(512).optional(),
  limit: PageLimit,
});
export type Filters = z.infer<typeof FilterQuery>;

/** Who reads: their principal and whether they see everyone's sessions. */
export interface Viewer {
  principal: Principal;
  auditor: boolean;
}

/** The viewer of a request. */
export function viewerOf(principal: Principal, config: ServerConfig): Viewer {
  return { principal, auditor: isAuditor(principal, config) };
}

/** A query's SQL text and its parameter values. */
export interface Query {
  text: string;
  values: unknown[];
}

/** Parameters of a query being built: `add(value)` returns its placeholder (`$n`). */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * The SQL text query for `q`.
 * @throws HttpError 400 naming `q` when it holds no word to search for
 */
export function textQuery(q: string, params: Params): string {
  if (!/[\p{L}\p{N}]/u.test(q)) throw new HttpError(400, 'invalid_request', 'q: has no word to search for');
  return `websearch_to_tsquery('simple', ${params.add(q)})`;
}

/**
 * Conditions on `sessions s` for the viewer's visibility (a non-auditor sees only sessions they own) and the
 * session filters (person, group, target, kind). Times and text are the caller's: they differ between
 * sessions (started_at) and events (ts).
 */
export function sessionConditions(viewer: Viewer, filters: Filters, params: Params): string[] {
  const where: string[] = [];
  if (!viewer.auditor)
    where.push(
      `s.owner_issuer = ${params.add(viewer.principal.issuer)}`,
      `s.owner_subject = ${params.add(viewer.principal.subject)}`,
    );
  if (filters.person) {
    const p = params.add(filters.person.toLowerCase());
    where.push(`(lower(s.owner_subject) = ${p} OR lower(s.owner_email) = ${p})`);
  }
  if (filters.group) where.push(`s.owner_groups @> ARRAY[${params.add(filters.group)}]::text[]`);
  if (filters.target) where.push(`s.target = ${params.add(filters.target)}`);
  if (filters.kind) where.push(`s.kind = ${params.add(filters.kind)}`);
  return where;
}

/** The planner's estimate of how many events match `q`, and of how many events there are. */
export interface MatchEstimate {
  matches: number;
  events: number;
}

/**
 * PostgreSQL's estimate (from the statistics ANALYZE keeps: `search` has statistics target 2000, so a single
 * word's frequency is close) of the events matching `q`, without running the search. For several words it
 * assumes they are independent — an overestimate for words that never occur together, which is why callers
 * still fall back when a walk finds less than expected.
 */
export async function estimateMatches(pool: pg.Pool, q: string): Promise<MatchEstimate> {
  const params = new Params();
  const plan = await pool.query<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(
    `EXPLAIN (FORMAT JSON) SELECT 1 FROM events e WHERE e.search @@ ${textQuery(q, params)}`,
    params.values,
  );
  const total = await pool.query<{ events: number }>(
    "SELECT greatest(reltuples, 0)::float8 AS events FROM pg_class WHERE oid = 'events'::regclass",
  );
  return {
    matches: plan.rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0,
    events: total.rows[0]?.events ?? 0,
  };
}
