import { createHash } from 'node:crypto';
import type { Frame } from './framer.js';
import { parseBind, parseExecute, parseParse, parseQuery, parseTarget } from './frontend-messages.js';
import { FRONTEND } from './messages.js';

/** A statement's SQL as the client sent it: its bytes and its text, and for an Execute what it was bound with. */
export interface StatementText {
  bytes: Buffer;
  text: string;
  /**
   * An Execute's Bind message after its portal and statement names: parameter format codes, parameter values
   * and result format codes (PostgreSQL docs, 55.7 "Message Formats", Bind).
   */
  bound?: Buffer;
}

/**
 * What a `once` approval of `sql` covers (ApprovalSubject.operation_hash): SHA-256 hex of the SQL bytes, and
 * for an Execute of the SQL bytes, a NUL and the Bind's parameters, so that other values are another
 * operation.
 */
export function operationHash(sql: StatementText): string {
  const hash = createHash('sha256').update(sql.bytes);
  if (sql.bound) hash.update(Buffer.of(0)).update(sql.bound);
  return hash.digest('hex');
}

/**
 * What each Query or Execute of one connection runs, for the guard (guard-gate.ts): a Query its own text, an
 * Execute the text of the Parse whose statement its portal was bound to (PostgreSQL docs, 55.2.3 "Extended
 * Query"). Follows Parse, Bind and Close as the client sends them; a name reused replaces the earlier one.
 */
export class StatementTexts {
  private readonly statements = new Map<string, StatementText>();
  private readonly portals = new Map<string, StatementText>();

  /**
   * The SQL `frame` runs when it is a Query or an Execute, else undefined (also for a portal never seen
   * bound, which the server refuses to execute). @throws ProtocolError for a malformed message
   */
  of(frame: Frame): StatementText | undefined {
    switch (frame.type) {
      case FRONTEND.Query:
        return { bytes: cstringAt(frame.body, 0), text: parseQuery(frame.body) };
      case FRONTEND.Parse: {
        const { name, query } = parseParse(frame.body);
        // Copied: the statement outlives the read it came in.
        const bytes = Buffer.from(cstringAt(frame.body, frame.body.indexOf(0) + 1));
        this.statements.set(name, { bytes, text: query });
        return undefined;
      }
      case FRONTEND.Bind: {
        const { portal, statement } = parseBind(frame.body);
        const sql = this.statements.get(statement);
        const names = frame.body.indexOf(0, frame.body.indexOf(0) + 1) + 1;
        // Copied: the portal outlives the read it came in.
        if (sql) this.portals.set(portal, { ...sql, bound: Buffer.from(frame.body.subarray(names)) });
        else this.portals.delete(portal);
        return undefined;
      }
      case FRONTEND.Close: {
        const { target, name } = parseTarget(frame.body);
        (target === 'S' ? this.statements : this.portals).delete(name);
        return undefined;
      }
      case FRONTEND.Execute:
        return this.portals.get(parseExecute(frame.body).portal);
      default:
        return undefined;
    }
  }
}

/** The bytes of the C string at `offset` of a message body (checked by the parser already), without its NUL. */
function cstringAt(body: Buffer, offset: number): Buffer {
  return body.subarray(offset, body.indexOf(0, offset));
}
