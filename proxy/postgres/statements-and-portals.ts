import type { Execution, PreparedStatement } from './execution.js';

/** A portal the client bound (PostgreSQL docs, 55.2.3 "Extended Query"): its statement's name and latest execution. */
export interface Portal {
  statement: string;
  execution: Execution;
}

/**
 * The prepared statements and portals one connection's server holds, as far as the tracker has seen them
 * (PostgreSQL docs, 55.2.3 "Extended Query"). A statement is added on ParseComplete and removed by Close,
 * DEALLOCATE or DISCARD ALL; a portal is added by Bind and removed by Close or the end of its transaction.
 */
export class StatementsAndPortals {
  /** Statements the server has accepted (ParseComplete), by name; '' is the unnamed statement. */
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly portals = new Map<string, Portal>();

  /** The accepted statement of that name, if any. */
  statement(name: string): PreparedStatement | undefined {
    return this.statements.get(name);
  }

  /** ParseComplete: the server accepted a Parse of `name`. */
  accepted(name: string, statement: PreparedStatement): void {
    this.statements.set(name, statement);
  }

  /** The bound portal of that name, if any. */
  portal(name: string): Portal | undefined {
    return this.portals.get(name);
  }

  /** Bind: `name` now refers to this portal. */
  bound(name: string, portal: Portal): void {
    this.portals.set(name, portal);
  }

  /** Close of a statement ('S') or portal ('P'). */
  close(target: 'S' | 'P', name: string): void {
    if (target === 'S') this.statements.delete(name);
    else this.portals.delete(name);
  }

  /** Portals do not outlive their transaction; drop them when the session is idle again. */
  transactionEnded(): void {
    this.portals.clear();
  }

  /** A description of `statement` arrived: fill it in wherever this statement is already bound. */
  describedBound(statement: PreparedStatement, columns: Execution['columns']): void {
    for (const portal of this.portals.values()) {
      if (portal.execution.statementRef === statement) portal.execution.columns ??= columns;
    }
  }

  /** SQL-level DEALLOCATE and DISCARD change the prepared statements a later Bind may name. */
  forgetDeallocated(sql: string): void {
    const match = /^\s*(?:DEALLOCATE\s+(?:PREPARE\s+)?("?[\w$]+"?)|DISCARD\s+ALL)\b/i.exec(sql);
    if (!match) return;
    const name = match[1]?.replace(/^"|"$/g, '');
    if (!name || name.toUpperCase() === 'ALL') this.statements.clear();
    else this.statements.delete(name);
  }
}
