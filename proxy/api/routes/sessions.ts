/**
 * Session routes the dashboard needs beyond the basic ones: the filtered list, the hash-chain check and export
 * downloads. Pure functions of the store and the URL; the server runs its guards (Host, Origin, token) first.
 */
import { exportHar, exportJsonl, formatRefusal } from '../../cli/export.js';
import { exportSql } from '../../cli/export-sql.js';
import { searchMatches } from '../../search/snippet.js';
import type { Store } from '../../store/store.js';
import type { SessionKind, SessionStatus } from '../../store/types.js';
import { ApiError } from '../guards.js';
import type { ExportFormat, SessionsResponse, VerifyResponse } from '../types.js';

/** What a route answers: a JSON body (status 200) or a file to download, written chunk by chunk. */
export type RouteAnswer =
  | { json: unknown }
  | { download: { filename: string; contentType: string; chunks: Iterable<string> } };

const KINDS = new Set<SessionKind>(['anthropic', 'postgres', 'http']);
const STATUSES = new Set<SessionStatus>(['live', 'closed', 'interrupted']);
const MAX_US = Number.MAX_SAFE_INTEGER;

/**
 * Answers the dashboard's session routes: `GET /api/sessions` (filters, see {@link SessionsQuery}),
 * `GET /api/sessions/:id/verify` and `GET /api/sessions/:id/export?format=jsonl|har|sql`.
 * @returns undefined when `url` is none of them
 * @throws ApiError 400 for a bad parameter, 404 for an unknown session
 */
export function sessionRoute(store: Store, url: URL, version: string): RouteAnswer | undefined {
  if (url.pathname === '/api/sessions') return { json: listSessions(store, url.searchParams) };
  const match = /^\/api\/sessions\/([0-9A-Za-z_-]{1,128})\/(verify|export)$/.exec(url.pathname);
  if (!match) return undefined;
  const session = store.getSession(match[1]!);
  if (!session) throw new ApiError(404, 'not_found', `no session ${match[1]}`);
  if (match[2] === 'verify') {
    const verdict = store.verifySession(session.id);
    const body: VerifyResponse = verdict.intact
      ? { intact: true, events: verdict.events, head_hash: verdict.headHash }
      : { intact: false, events: verdict.events, broken_at_seq: verdict.brokenAtSeq, reason: verdict.reason };
    return { json: body };
  }
  const format = url.searchParams.get('format') as ExportFormat | null;
  const refusal = format && formatRefusal(session, format);
  if (refusal) throw new ApiError(400, 'bad_param', `format ${refusal}`);
  const base = `glassbox-${session.id}`;
  const events = store.iterateEvents(session.id);
  if (format === 'jsonl') {
    return {
      download: {
        filename: `${base}.jsonl`,
        contentType: 'application/x-ndjson; charset=utf-8',
        chunks: exportJsonl(session, events),
      },
    };
  }
  if (format === 'har') {
    const har = exportHar(session, events, version);
    return { download: { filename: `${base}.har`, contentType: 'application/json', chunks: [har] } };
  }
  if (format === 'sql') {
    const sql = exportSql(session, events);
    return {
      download: { filename: `${base}.sql`, contentType: 'application/sql; charset=utf-8', chunks: [sql] },
    };
  }
  throw new ApiError(400, 'bad_param', 'format must be jsonl, har or sql');
}

function listSessions(store: Store, params: URLSearchParams): SessionsResponse {
  const kind = params.get('kind') || null;
  const status = params.get('status') || null;
  if (kind && !KINDS.has(kind as SessionKind)) throw new ApiError(400, 'bad_param', `unknown kind "${kind}"`);
  if (status && !STATUSES.has(status as SessionStatus))
    throw new ApiError(400, 'bad_param', `unknown status "${status}"`);
  const target = params.get('target') ?? '';
  if (target.length > 256) throw new ApiError(400, 'bad_param', 'target is longer than 256 characters');
  const person = params.get('person') ?? '';
  const group = params.get('group') ?? '';
  for (const [name, value] of [
    ['person', person],
    ['group', group],
  ] as const)
    if (value.length > 256) throw new ApiError(400, 'bad_param', `${name} is longer than 256 characters`);
  const q = params.get('q') ?? '';
  if (q.length > 1_000) throw new ApiError(400, 'bad_param', 'q is longer than 1,000 characters');
  const limit = intParam(params, 'limit', 1, 10_000) ?? 50;
  const sessions = store.listSessions({
    limit,
    before: intParam(params, 'before', 0, MAX_US),
    kind: (kind as SessionKind | null) ?? undefined,
    status: (status as SessionStatus | null) ?? undefined,
    target: target || undefined,
    from: intParam(params, 'from', 0, MAX_US),
    to: intParam(params, 'to', 0, MAX_US),
    text: q || undefined,
    person: person || undefined,
    group: group || undefined,
  });
  return {
    sessions,
    next_before: sessions.length === limit ? sessions[sessions.length - 1]!.started_at : null,
    ...(q
      ? {
          matches: searchMatches(
            store,
            sessions.map((s) => s.id),
            q,
          ),
        }
      : {}),
  };
}

/**
 * An integer query parameter in [min, max], or undefined when absent or empty.
 * @throws ApiError 400 when present but not such an integer
 */
export function intParam(
  params: URLSearchParams,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ApiError(400, 'bad_param', `${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}
