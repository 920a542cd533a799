import type { Socket } from 'node:net';
import { describeError } from '../common/errors.js';
import {
  type FieldDescription,
  parseDataRow,
  parseErrorFields,
  parseRowDescription,
} from './backend-messages.js';
import { FrameQueue } from './frame-queue.js';
import { terminate } from './frontend-messages.js';
import { BACKEND } from './messages.js';
import { connectUpstream, type UpstreamTarget } from './upstream.js';
import { Writer } from './wire.js';

/** The catalog refused a query or the side connection failed; the message says which. */
export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

/**
 * A connection of Glassbox's own to a connection's upstream database, with the connection's vaulted
 * credentials, for the small catalog queries masking needs (table names of result columns, the columns of a
 * COPY). Never a client's connection: its protocol state is the client's. One request at a time (callers
 * serialise); every reply is read to its ReadyForQuery. Results in text format. (PostgreSQL docs, 55.2.2
 * "Simple Query", 55.2.3 "Extended Query".)
 */
export class CatalogConnection {
  private constructor(
    private readonly socket: Socket,
    private readonly queue: FrameQueue,
  ) {}

  /**
   * Connects with start-up `parameters` (default `application_name` "glassbox masking"; any run-time setting
   * may be given, e.g. `statement_timeout`), each step waiting at most `timeoutMs`.
   * @throws UpstreamError when the upstream cannot be reached or refuses the credentials
   */
  static async open(
    target: UpstreamTarget,
    timeoutMs: number,
    parameters: Record<string, string> = { application_name: 'glassbox masking' },
  ): Promise<CatalogConnection> {
    const upstream = await connectUpstream(target, parameters, timeoutMs);
    upstream.socket.on('error', () => upstream.socket.destroy());
    return new CatalogConnection(upstream.socket, new FrameQueue(upstream.socket, upstream.leftover));
  }

  /** True once the connection failed or was closed. */
  get closed(): boolean {
    return this.socket.destroyed;
  }

  /**
   * Runs a simple Query and returns its rows' text values.
   * @throws CatalogError with the server's message, or on a broken connection or a timeout
   */
  async query(sql: string, timeoutMs: number): Promise<Array<Array<string | null>>> {
    this.socket.write(new Writer().cstring(sql).frame('Q'));
    const rows: Array<Array<string | null>> = [];
    await this.untilReady(timeoutMs, (type, body) => {
      if (type === BACKEND.DataRow) rows.push(parseDataRow(body).map((v) => v?.toString('utf8') ?? null));
    });
    return rows;
  }

  /**
   * The columns a statement would return, by Parse and Describe of an unnamed statement — never run (no Bind,
   * no Execute). Null when it returns no rows (NoData).
   * @throws CatalogError with the server's message (the statement does not parse here), or on a broken
   *   connection or a timeout
   */
  async describe(sql: string, timeoutMs: number): Promise<FieldDescription[] | null> {
    const parse = new Writer().cstring('').cstring(sql).int16(0).frame('P');
    const describe = new Writer().int8('S'.charCodeAt(0)).cstring('').frame('D');
    this.socket.write(Buffer.concat([parse, describe, new Writer().frame('S')]));
    let columns: FieldDescription[] | null = null;
    await this.untilReady(timeoutMs, (type, body) => {
      if (type === BACKEND.RowDescription) columns = parseRowDescription(body);
    });
    return columns;
  }

  /**
   * Runs exactly one statement through the extended protocol (Parse, Bind without parameters, Execute, Sync
   * — PostgreSQL docs, 55.2.3) and returns its rows' text values. A text holding several statements is
   * refused by the server ("cannot insert multiple commands into a prepared statement"), and one with
   * parameters (`$1`) fails at Bind: either way nothing but that one statement can run.
   * @throws CatalogError with the server's message, or on a broken connection or a timeout
   */
  async single(sql: string, timeoutMs: number): Promise<Array<Array<string | null>>> {
    const parse = new Writer().cstring('').cstring(sql).int16(0).frame('P');
    const bind = new Writer().cstring('').cstring('').int16(0).int16(0).int16(0).frame('B');
    const execute = new Writer().cstring('').int32(0).frame('E');
    this.socket.write(Buffer.concat([parse, bind, execute, new Writer().frame('S')]));
    const rows: Array<Array<string | null>> = [];
    await this.untilReady(timeoutMs, (type, body) => {
      if (type === BACKEND.DataRow) rows.push(parseDataRow(body).map((v) => v?.toString('utf8') ?? null));
    });
    return rows;
  }

  /** Ends the connection (Terminate); a request waiting on it fails at once. */
  close(): void {
    if (this.socket.destroyed) return;
    this.socket.end(terminate());
    this.socket.destroySoon();
  }

  private async untilReady(timeoutMs: number, each: (type: number, body: Buffer) => void): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let error: string | undefined;
    try {
      for (;;) {
        const frame = await this.queue.next(Math.max(1, deadline - Date.now()));
        if (frame.type === BACKEND.ReadyForQuery) break;
        if (frame.type === BACKEND.ErrorResponse) error ??= parseErrorFields(frame.body).M ?? 'error';
        else each(frame.type, frame.body);
      }
    } catch (cause) {
      this.socket.destroy();
      throw new CatalogError(`the catalog connection failed: ${describeError(cause)}`);
    }
    if (error !== undefined) throw new CatalogError(error);
  }
}
