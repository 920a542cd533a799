/**
 * Runs the masking preview's query on a connection's upstream, read-only, on a side connection of its own
 * (never a client's session): `BEGIN READ ONLY` with `SET LOCAL statement_timeout`, the query as one
 * extended-protocol Parse/Bind/Execute (a Parse refuses a text holding several statements), the result's
 * table names looked up, then `ROLLBACK` and Terminate. Messages as in the PostgreSQL docs, 55.2.2 "Simple
 * Query", 55.2.3 "Extended Query" and 55.7 "Message Formats".
 *
 * Nothing here is recorded: the preview's rows go back to the dashboard and nowhere else — no event, no
 * journal line, no log line.
 */
import {
  type FieldDescription,
  parseDataRow,
  parseErrorFields,
  parseRowDescription,
} from './backend-messages.js';
import { FrameQueue } from './frame-queue.js';
import type { Frame } from './framer.js';
import { terminate } from './frontend-messages.js';
import { BACKEND } from './messages.js';
import { connectUpstream, type UpstreamTarget } from './upstream.js';
import { Writer } from './wire.js';

/** A result column of a preview: its name, type, and the table it comes from (`schema.table`, or null). */
export interface PreviewColumn {
  name: string;
  typeOid: number;
  table: string | null;
}

/** A preview's result: columns, and rows of text-format values (null = SQL NULL). */
export interface PreviewResult {
  columns: PreviewColumn[];
  rows: Array<Array<string | null>>;
  /** The server's version, as it said at start-up. */
  serverVersion: string | null;
}

/** The upstream answered the query with an error (a bad table name, a syntax error, a timeout). */
export class PreviewQueryError extends Error {
  constructor(
    readonly sqlstate: string,
    message: string,
  ) {
    super(message);
    this.name = 'PreviewQueryError';
  }
}

/** Limits of one preview run. */
export interface PreviewLimits {
  /** Each wait for the server (connecting, each reply), ms. */
  timeoutMs: number;
  /** The query's `statement_timeout` upstream, ms. */
  statementTimeoutMs: number;
}

/** The largest message accepted from the server, bytes (a row of a wide table). */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Connects with the connection's vaulted credential, runs `sql` read-only and rolls back.
 * @param sql one query (preview-sql.ts builds it), run with every result column in text format
 * @throws UpstreamError when the upstream cannot be reached or refuses the login; PreviewQueryError with
 *   the server's SQLSTATE when it refuses the query; Error when it stops answering (after `timeoutMs`)
 */
export async function runPreviewQuery(
  target: UpstreamTarget,
  sql: string,
  limits: PreviewLimits,
): Promise<PreviewResult> {
  const session = await connectUpstream(
    target,
    { application_name: 'glassbox masking preview', client_encoding: 'UTF8' },
    limits.timeoutMs,
  );
  const { socket } = session;
  socket.on('error', () => undefined);
  const queue = new FrameQueue(socket, session.leftover, MAX_MESSAGE_BYTES);
  const next = () => queue.next(limits.timeoutMs);
  try {
    const timeout = Math.max(1, Math.floor(limits.statementTimeoutMs));
    await simpleQuery(
      next,
      socket.write.bind(socket),
      `BEGIN READ ONLY; SET LOCAL statement_timeout = ${timeout}`,
    );
    socket.write(Buffer.concat([parse(sql), bind(), describePortal(), execute(), new Writer().frame('S')]));
    let fields: FieldDescription[] = [];
    const rows: Array<Array<string | null>> = [];
    let failure: PreviewQueryError | undefined;
    for (;;) {
      const frame = await next();
      if (frame.type === BACKEND.RowDescription) fields = parseRowDescription(frame.body);
      else if (frame.type === BACKEND.DataRow)
        rows.push(parseDataRow(frame.body).map((value) => (value === null ? null : value.toString('utf8'))));
      else if (frame.type === BACKEND.ErrorResponse) failure ??= queryError(frame);
      else if (frame.type === BACKEND.ReadyForQuery) break;
    }
    if (failure) throw failure;
    const tables = await tableNames(next, socket.write.bind(socket), fields);
    await simpleQuery(next, socket.write.bind(socket), 'ROLLBACK');
    queue.detach();
    socket.resume(); // reads the server's close after Terminate, so the socket goes away
    socket.end(terminate());
    return {
      columns: fields.map((f) => ({
        name: f.name,
        typeOid: f.typeOid,
        table: tables.get(f.tableOid) ?? null,
      })),
      rows,
      serverVersion: session.parameters.server_version ?? null,
    };
  } catch (error) {
    // The server rolls back what the connection left open when it goes.
    queue.detach();
    socket.destroy();
    throw error;
  }
}

type Next = () => Promise<Frame>;
type Write = (bytes: Buffer) => boolean;

/** Runs a Query message and reads to ReadyForQuery; returns the rows of its last result, text values. */
async function simpleQuery(next: Next, write: Write, sql: string): Promise<Array<Array<string | null>>> {
  write(new Writer().cstring(sql).frame('Q'));
  let rows: Array<Array<string | null>> = [];
  let failure: PreviewQueryError | undefined;
  for (;;) {
    const frame = await next();
    if (frame.type === BACKEND.RowDescription) rows = [];
    else if (frame.type === BACKEND.DataRow)
      rows.push(parseDataRow(frame.body).map((value) => (value === null ? null : value.toString('utf8'))));
    else if (frame.type === BACKEND.ErrorResponse) failure ??= queryError(frame);
    else if (frame.type === BACKEND.ReadyForQuery) break;
  }
  if (failure) throw failure;
  return rows;
}

/**
 * `schema.table` of each table OID of the result (RowDescription names tables by OID), from pg_class in the
 * same read-only transaction. OIDs come from the server as unsigned integers, so they are inlined as such.
 */
async function tableNames(
  next: Next,
  write: Write,
  fields: FieldDescription[],
): Promise<Map<number, string>> {
  const oids = [...new Set(fields.map((f) => f.tableOid).filter((oid) => oid > 0))];
  const names = new Map<number, string>();
  if (oids.length === 0) return names;
  const rows = await simpleQuery(
    next,
    write,
    `SELECT c.oid::int8, n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid IN (${oids.map((oid) => String(oid >>> 0)).join(', ')})`,
  );
  for (const [oid, schema, table] of rows) names.set(Number(oid), `${schema}.${table}`);
  return names;
}

function queryError(frame: Frame): PreviewQueryError {
  const fields = parseErrorFields(frame.body);
  const hint = fields.H ? ` (${fields.H})` : '';
  return new PreviewQueryError(fields.C ?? 'XX000', `${fields.M ?? 'the server refused the query'}${hint}`);
}

/** Parse: the unnamed statement, no parameter types. */
function parse(sql: string): Buffer {
  return new Writer().cstring('').cstring(sql).int16(0).frame('P');
}

/** Bind: the unnamed portal to the unnamed statement, no parameters, every result column in text (0). */
function bind(): Buffer {
  return new Writer().cstring('').cstring('').int16(0).int16(0).int16(1).int16(0).frame('B');
}

/** Describe the unnamed portal: its RowDescription (or NoData). */
function describePortal(): Buffer {
  return new Writer().int8('P'.charCodeAt(0)).cstring('').frame('D');
}

/** Execute the unnamed portal to completion (the query's own LIMIT bounds it). */
function execute(): Buffer {
  return new Writer().cstring('').int32(0).frame('E');
}
