/**
 * The masking policy's routes (issue 16, point 7): read the policy in force, preview what a draft would mask
 * — in a text, in the last recorded sessions, in a PostgreSQL connection's live rows — and apply a draft.
 * The server runs its guards (Host, Origin, bearer token) before handing a request here, for every method;
 * bodies are JSON only (a foreign page cannot send that without a preflight) and size-capped.
 *
 * Previews record nothing: a preview's text, counts and rows go back in the answer and nowhere else.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { homePaths } from '../../config.js';
import type { CompiledPolicy } from '../../policy/compile.js';
import { fieldPath, PolicyError } from '../../policy/document.js';
import { tryOnRecordings } from '../../policy/preview/recordings.js';
import { maskRows } from '../../policy/preview/table.js';
import { describeDetectors, previewText } from '../../policy/preview/text.js';
import type { PolicyWatcher } from '../../policy/watcher.js';
import type { PgConnection } from '../../postgres/connections.js';
import { type PreviewLimits, PreviewQueryError, runPreviewQuery } from '../../postgres/preview-query.js';
import { PreviewSqlError, selectQuery, tableQuery } from '../../postgres/preview-sql.js';
import { upstreamTarget } from '../../postgres/session.js';
import type { Store } from '../../store/store.js';
import type { Identity } from '../../store/types.js';
import { ApiError } from '../guards.js';
import { readJsonBody } from '../json-body.js';
import type {
  PolicyApplyResponse,
  PolicyPreviewResponse,
  PolicyResponse,
  PolicyTableResponse,
  PolicyTablesResponse,
  PolicyTryResponse,
  PolicyView,
} from '../types.js';

/** What the policy routes need from the engine. */
export interface PolicyRouteOptions {
  policy: Pick<PolicyWatcher, 'current' | 'draft' | 'apply' | 'refused'>;
  /** Who applies a policy through the API: the engine's identity now (the signed-in person, else the OS user). */
  identity: () => Identity;
  store: Store;
  /** $GLASSBOX_HOME, where policy.json is read as written. */
  home: string;
  /** The PostgreSQL connections served now, with their vaulted credentials. */
  connections: () => PgConnection[];
  /** Limits of a preview's upstream query (default: 10 s per wait, 5 s statement timeout). */
  previewLimits?: PreviewLimits;
}

/** True for the paths {@link PolicyRoutes} answers. */
export function isPolicyPath(path: string): boolean {
  return path === '/api/policy' || path.startsWith('/api/policy/');
}

const MiB = 1024 * 1024;
/** Largest text a preview masks, bytes of UTF-8. */
export const MAX_PREVIEW_TEXT_BYTES = MiB;
/** Preview queries running upstream at once; more are answered 429. */
const MAX_CONCURRENT_QUERIES = 4;

/** A policy document in a request body: any JSON value (the policy's own schema checks it), but present. */
const documentField = z.unknown().refine((value) => value !== undefined, 'is required: a policy document');
const previewBody = z.object({ draft: z.unknown().optional(), text: z.string() }).strict();
const tryBody = z
  .object({ draft: documentField, sessions: z.number().int().min(1).max(200).default(20) })
  .strict();
const tableName = z.string().min(1).max(200);
const tableBody = z
  .object({
    draft: z.unknown().optional(),
    connection: z.string().min(1).max(63),
    table: z
      .union([tableName, z.object({ schema: tableName.optional(), name: tableName }).strict()])
      .optional(),
    sql: z.string().min(1).optional(),
  })
  .strict()
  .refine((b) => (b.table === undefined) !== (b.sql === undefined), 'give either "table" or "sql"');
const applyBody = z.object({ document: documentField, base_version: z.string().max(64).optional() }).strict();

/**
 * Answers `GET /api/policy`, `PUT /api/policy`, `POST /api/policy/preview`, `POST /api/policy/try`,
 * `POST /api/policy/preview-table` and `GET /api/policy/tables?connection=NAME` (shapes in types.ts).
 */
export class PolicyRoutes {
  private queries = 0;

  constructor(private readonly options: PolicyRouteOptions) {}

  /**
   * Handles one guarded request to a {@link isPolicyPath} path.
   * @returns the JSON answer (status 200)
   * @throws ApiError: 404 unknown path or connection, 405 wrong method, 415/413/400 bad body, 400
   *   `invalid_policy` (with `issues`), `bad_query` or `query_failed` (with `sqlstate`), 409 `conflict`, 429
   *   `busy`, 502 `upstream_failed`
   */
  async handle(req: IncomingMessage, url: URL): Promise<unknown> {
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /api/policy':
      case 'HEAD /api/policy':
        return this.describe();
      case 'PUT /api/policy':
        return this.apply(parse(applyBody, await readJsonBody(req, MiB)));
      case 'POST /api/policy/preview':
        return this.preview(parse(previewBody, await readJsonBody(req, 2 * MiB)));
      case 'POST /api/policy/try':
        return this.try(parse(tryBody, await readJsonBody(req, MiB)));
      case 'POST /api/policy/preview-table':
        return this.table(parse(tableBody, await readJsonBody(req, MiB)));
      case 'GET /api/policy/tables':
        return this.tables(url.searchParams.get('connection') ?? '');
    }
    if (
      [
        '/api/policy',
        '/api/policy/preview',
        '/api/policy/try',
        '/api/policy/preview-table',
        '/api/policy/tables',
      ].includes(url.pathname)
    )
      throw new ApiError(405, 'method_not_allowed', `${req.method} is not supported on ${url.pathname}`);
    throw new ApiError(404, 'not_found', `no route ${url.pathname}`);
  }

  private describe(): PolicyResponse {
    const { policy } = this.options;
    const current = policy.current();
    return {
      version: current.version,
      effective: view(current),
      document: current.document,
      written: readWritten(homePaths(this.options.home).policy),
      refused: policy.refused,
      connections: this.options
        .connections()
        .map(({ name, database }) => ({ name, database }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  private preview(body: z.infer<typeof previewBody>): PolicyPreviewResponse {
    if (Buffer.byteLength(body.text, 'utf8') > MAX_PREVIEW_TEXT_BYTES)
      throw new ApiError(413, 'too_large', `the text is over ${MAX_PREVIEW_TEXT_BYTES} bytes`);
    const policy = this.compile(body.draft);
    return { version: policy.version, effective: view(policy), ...previewText(policy, body.text) };
  }

  private async try(body: z.infer<typeof tryBody>): Promise<PolicyTryResponse> {
    const draft = this.compile(body.draft);
    const current = this.options.policy.current();
    const result = await tryOnRecordings(this.options.store, current, draft, { sessions: body.sessions });
    return { version: draft.version, current_version: current.version, ...result };
  }

  /** Runs the preview query upstream; the rows are answered, never stored or recorded. */
  private async table(body: z.infer<typeof tableBody>): Promise<PolicyTableResponse> {
    const policy = this.compile(body.draft);
    const connection = this.connection(body.connection);
    const query = previewSql(body);
    const result = await this.query(connection, query);
    return {
      connection: connection.name,
      query,
      version: policy.version,
      recorded: false,
      ...maskRows(policy, connection.name, result.columns, result.rows),
    };
  }

  private async tables(name: string): Promise<PolicyTablesResponse> {
    const connection = this.connection(name);
    const result = await this.query(
      connection,
      "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2 LIMIT 1000",
    );
    return {
      connection: connection.name,
      tables: result.rows.map(([schema, table]) => ({ schema: schema ?? '', name: table ?? '' })),
    };
  }

  private async apply(body: z.infer<typeof applyBody>): Promise<PolicyApplyResponse> {
    const { policy, identity } = this.options;
    const previous = policy.current().version;
    if (body.base_version !== undefined && body.base_version !== previous) {
      throw new ApiError(
        409,
        'conflict',
        `the policy in force changed (now ${previous}, the draft started from ${body.base_version}): reload it and apply again`,
      );
    }
    let changes: PolicyApplyResponse['changes'];
    try {
      changes = await policy.apply(body.document, { identity: identity(), via: 'api' });
    } catch (error) {
      throw policyFailure(error);
    }
    const version = policy.current().version;
    const message =
      changes.length === 0
        ? `policy.json written; nothing changed in effect (version ${version})`
        : `Policy ${version} is in force (${changes.length} change${changes.length === 1 ? '' : 's'}, recorded as policy.changed)`;
    return { version, previous, changes, message };
  }

  /** The draft compiled, or the policy in force when there is none. @throws ApiError 400 invalid_policy */
  private compile(draft: unknown): CompiledPolicy {
    if (draft === undefined) return this.options.policy.current();
    try {
      return this.options.policy.draft(draft);
    } catch (error) {
      throw policyFailure(error);
    }
  }

  private connection(name: string): PgConnection {
    const found = this.options.connections().find((c) => c.name === name);
    if (!found) throw new ApiError(404, 'not_found', `no PostgreSQL connection "${name.slice(0, 80)}"`);
    return found;
  }

  /** Runs a read-only preview query on the connection's upstream, at most a few at once. */
  private async query(connection: PgConnection, sql: string) {
    if (this.queries >= MAX_CONCURRENT_QUERIES)
      throw new ApiError(429, 'busy', 'other previews are running upstream; try again in a moment');
    this.queries++;
    try {
      return await runPreviewQuery(
        upstreamTarget(connection),
        sql,
        this.options.previewLimits ?? { timeoutMs: 10_000, statementTimeoutMs: 5_000 },
      );
    } catch (error) {
      if (error instanceof PreviewQueryError) {
        throw new ApiError(400, 'query_failed', `${error.message} (SQLSTATE ${error.sqlstate})`, {
          sqlstate: error.sqlstate,
        });
      }
      throw new ApiError(502, 'upstream_failed', (error as Error).message);
    } finally {
      this.queries--;
    }
  }
}

/** The effective policy with its detectors described. */
function view(policy: CompiledPolicy): PolicyView {
  return { ...policy.effective, detectors: describeDetectors(policy) };
}

/** The SQL of a table preview request. @throws ApiError 400 bad_query */
function previewSql(body: z.infer<typeof tableBody>): string {
  try {
    if (body.sql !== undefined) return selectQuery(body.sql);
    const table = body.table!;
    if (typeof table !== 'string') return tableQuery(table);
    const parts = table.split('.');
    if (parts.length > 2)
      throw new PreviewSqlError('name a table as "table" or "schema.table" (or send {"schema", "name"})');
    return tableQuery(parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { name: table });
  } catch (error) {
    if (error instanceof PreviewSqlError) throw new ApiError(400, 'bad_query', error.message);
    throw error;
  }
}

/** A draft's PolicyError as a 400 naming each field; anything else as it is. */
function policyFailure(error: unknown): unknown {
  if (!(error instanceof PolicyError)) return error;
  const first = error.issues[0];
  return new ApiError(
    400,
    'invalid_policy',
    `the draft is not a valid policy${first ? `: ${first.path}: ${first.message}` : ''}`,
    { issues: error.issues },
  );
}

/** Validates a request body. @throws ApiError 400 bad_body naming the field */
function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new ApiError(
    400,
    'bad_body',
    `${fieldPath(issue.path)}: ${issue.message.replace(/^Invalid input: /, '')}`,
  );
}

/** policy.json's text as written (at most 1 MiB shown), or null when there is none. */
function readWritten(path: string): string | null {
  if (!existsSync(path)) return null;
  try {
    const text = readFileSync(path, 'utf8');
    return text.length > MiB ? `${text.slice(0, MiB)}\n… (cut: policy.json is over 1 MiB)` : text;
  } catch {
    return null;
  }
}
