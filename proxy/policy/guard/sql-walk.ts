/**
 * One walk over a statement's whole parse tree, visiting every node (no hand list of where relations may
 * hide): each RangeVar is recorded as read or written by the field it sits in, every FuncCall is checked
 * against the functions of note, and every data-modifying statement met on the way (the statement itself,
 * a data-modifying CTE, a rule's action) contributes its effect and its no-WHERE fact. The walk keeps its own
 * stack rather than recursing, so a deeply nested expression cannot exhaust the call stack.
 */
import { statementKind } from './sql-commands.js';
import { isConstantTrue } from './sql-constant.js';
import {
  flag,
  isFields,
  isFuncCall,
  isRangeVar,
  type PgFields,
  type PgNode,
  rangeVarName,
  str,
  stringList,
  unwrap,
} from './sql-nodes.js';
import type { SqlEffect } from './types.js';

/** What one walk found; sets are turned into sorted arrays by the caller. */
export interface WalkFacts {
  reads: Set<string>;
  writes: Set<string>;
  functions: Set<string>;
  noWhere: boolean;
  alterDrop: boolean;
  /** Effects of the data-modifying statements found (INSERT, UPDATE, DELETE, MERGE), anywhere in the tree. */
  effects: SqlEffect[];
}

/** Functions of note, by exact name (lower case, without schema). */
const NOTED_FUNCTIONS = new Set([
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_read_file',
  'pg_read_binary_file',
  'pg_ls_dir',
  'pg_stat_file',
  'pg_ls_logdir',
  'pg_ls_waldir',
  'pg_ls_tmpdir',
  'pg_ls_archive_statusdir',
  'pg_file_write',
  'pg_file_rename',
  'pg_file_unlink',
  'pg_logdir_ls',
  'set_config',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_promote',
  'pg_switch_wal',
  'pg_create_restore_point',
  'pg_create_physical_replication_slot',
  'pg_create_logical_replication_slot',
  'pg_drop_replication_slot',
  'loread',
  'lowrite',
  // These run the SQL text they are given, which no classifier sees.
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'cursor_to_xml',
]);

/** Functions of note, by prefix: dblink and its family, large objects, replication origins. */
const NOTED_PREFIXES = ['dblink', 'lo_', 'pg_replication_origin_'];

/** True for a function of note (`name` lower case, without schema). */
export function isNotedFunction(name: string): boolean {
  return NOTED_FUNCTIONS.has(name) || NOTED_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** ALTER TABLE subcommands that drop something (`ALTER TABLE … DROP COLUMN/CONSTRAINT`). */
const ALTER_DROPS = new Set(['AT_DropColumn', 'AT_DropConstraint']);

/** DROP object types whose objects are relations (names are written), and those that hang on a table. */
const DROPPED_RELATIONS = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_SEQUENCE',
  'OBJECT_INDEX',
  'OBJECT_FOREIGN_TABLE',
]);
const DROPPED_ON_TABLE = new Set(['OBJECT_TRIGGER', 'OBJECT_RULE', 'OBJECT_POLICY']);

/** Statements that are queries: their target is the only relation they write. */
const QUERIES = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

const MERGE_EFFECTS: Readonly<Record<string, SqlEffect>> = {
  CMD_INSERT: 'insert',
  CMD_UPDATE: 'update',
  CMD_DELETE: 'delete',
};

type Role = 'read' | 'write';

/** Names of the CTEs visible where a RangeVar sits: an unqualified name among them is not a relation. */
interface CteScope {
  names: ReadonlySet<string>;
  parent: CteScope | undefined;
}

interface Frame {
  value: unknown;
  role: Role;
  scope: CteScope | undefined;
}

function inScope(scope: CteScope | undefined, name: string): boolean {
  for (let s = scope; s; s = s.parent) if (s.names.has(name)) return true;
  return false;
}

/**
 * Fields of a node whose RangeVars are written, wherever the node sits: the target of INSERT, UPDATE, DELETE,
 * MERGE, COPY FROM, SELECT INTO, CREATE TABLE AS, TRUNCATE, and an attached or detached partition.
 */
function writeFields(node: PgNode): readonly string[] {
  switch (node.type) {
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
      return ['relation'];
    case 'CopyStmt':
      return flag(node.fields, 'is_from') ? ['relation'] : [];
    case 'SelectStmt':
      return ['intoClause'];
    case 'CreateTableAsStmt':
      return ['into'];
    case 'TruncateStmt':
      return ['relations'];
    case 'PartitionCmd': // ALTER TABLE … ATTACH/DETACH PARTITION changes the partition too
      return ['name'];
    default:
      return [];
  }
}

/**
 * How a node's fields hold relations unless writeFields says otherwise: a DDL or DCL statement (at the top,
 * or inside CREATE SCHEMA) writes the relations it names directly (ALTER TABLE's table, GRANT's tables,
 * CREATE INDEX's table); everything else, and whatever sits in its nested queries, reads them.
 */
function targetRole(node: PgNode): Role {
  if (!node.type.endsWith('Stmt') || QUERIES.has(node.type)) return 'read';
  const { effect } = statementKind(node);
  return effect === 'ddl' || effect === 'dcl' ? 'write' : 'read';
}

class Walk {
  readonly facts: WalkFacts = {
    reads: new Set(),
    writes: new Set(),
    functions: new Set(),
    noWhere: false,
    alterDrop: false,
    effects: [],
  };
  private readonly stack: Frame[] = [];

  run(top: PgNode): WalkFacts {
    this.visitNode(top, undefined, targetRole(top));
    for (let frame = this.stack.pop(); frame; frame = this.stack.pop()) this.visit(frame);
    return this.facts;
  }

  private visit({ value, role, scope }: Frame): void {
    if (Array.isArray(value)) {
      for (const item of value) this.stack.push({ value: item, role, scope });
      return;
    }
    if (!isFields(value)) return;
    const node = unwrap(value);
    if (node) {
      if (node.type === 'RangeVar') this.relation(node.fields, role, scope);
      else this.visitNode(node, scope, targetRole(node));
      return;
    }
    // An unwrapped struct (a field typed as one struct): a RangeVar, a FuncCall, or one that passes the role on.
    if (isRangeVar(value)) {
      this.relation(value, role, scope);
      return;
    }
    if (isFuncCall(value)) this.functionCall(value);
    for (const key in value) this.stack.push({ value: value[key], role, scope });
  }

  /** Note what the node itself says, then queue its fields: written targets as writes, the rest as `role`. */
  private visitNode(node: PgNode, outer: CteScope | undefined, role: Role): void {
    const f = node.fields;
    this.inspect(node);
    const withClause = isFields(f.withClause) && Array.isArray(f.withClause.ctes) ? f.withClause : undefined;
    const scope = withClause ? this.ctes(withClause, outer) : outer;
    const written = writeFields(node);
    for (const key in f) {
      if (key === 'withClause' && withClause) continue;
      this.stack.push({ value: f[key], role: written.includes(key) ? 'write' : role, scope });
    }
  }

  /**
   * Queue a WITH clause's CTEs and return the scope of the statement they belong to, where all their names
   * shadow relations. A CTE's own query sees only the CTEs before it, or all of them under WITH RECURSIVE
   * (PostgreSQL docs, 7.8 "WITH Queries"), so `WITH t AS (SELECT * FROM t)` still reads the relation t.
   */
  private ctes(withClause: PgFields, outer: CteScope | undefined): CteScope {
    const items = Array.isArray(withClause.ctes) ? withClause.ctes : [];
    const names = items.map((item) => str(unwrap(item)?.fields ?? {}, 'ctename'));
    const all: CteScope = { names: new Set(names), parent: outer };
    const recursive = flag(withClause, 'recursive');
    items.forEach((item, i) => {
      const scope = recursive ? all : { names: new Set(names.slice(0, i)), parent: outer };
      this.stack.push({ value: item, role: 'read', scope });
    });
    return all;
  }

  private inspect(node: PgNode): void {
    const f = node.fields;
    switch (node.type) {
      case 'FuncCall':
        this.functionCall(f);
        return;
      case 'InsertStmt': {
        const conflict = isFields(f.onConflictClause) ? str(f.onConflictClause, 'action') : '';
        this.facts.effects.push(conflict === 'ONCONFLICT_UPDATE' ? 'update' : 'insert');
        return;
      }
      case 'UpdateStmt':
      case 'DeleteStmt':
        this.facts.effects.push(node.type === 'UpdateStmt' ? 'update' : 'delete');
        if (!f.whereClause || isConstantTrue(f.whereClause)) this.facts.noWhere = true;
        return;
      case 'MergeStmt':
        this.merge(f);
        return;
      case 'AlterTableCmd':
        if (ALTER_DROPS.has(str(f, 'subtype'))) this.facts.alterDrop = true;
        return;
      case 'DropStmt':
        this.dropped(f);
        return;
      default:
        return;
    }
  }

  private merge(f: PgFields): void {
    const everyRow = isConstantTrue(f.joinCondition);
    const clauses = Array.isArray(f.mergeWhenClauses) ? f.mergeWhenClauses : [];
    let effect: SqlEffect = 'insert';
    for (const item of clauses) {
      const clause = unwrap(item);
      if (!clause) continue;
      const command = MERGE_EFFECTS[str(clause.fields, 'commandType')];
      if (command === 'delete' || (command === 'update' && effect !== 'delete')) effect = command;
      if (command !== 'insert' && command && everyRow && !clause.fields.condition) this.facts.noWhere = true;
    }
    this.facts.effects.push(effect);
  }

  private dropped(f: PgFields): void {
    const type = str(f, 'removeType');
    const onTable = DROPPED_ON_TABLE.has(type);
    if (!onTable && !DROPPED_RELATIONS.has(type)) return;
    for (const object of Array.isArray(f.objects) ? f.objects : []) {
      const list = unwrap(object);
      const names = list?.type === 'List' ? stringList(list.fields.items) : [];
      const relation = onTable ? names.slice(0, -1) : names;
      if (relation.length > 0) this.facts.writes.add(relation.join('.'));
    }
  }

  private functionCall(f: PgFields): void {
    const name = (stringList(f.funcname).at(-1) ?? '').toLowerCase();
    if (isNotedFunction(name)) this.facts.functions.add(name);
  }

  private relation(f: PgFields, role: Role, scope: CteScope | undefined): void {
    const name = rangeVarName(f);
    if (name === '') return;
    if (role === 'write') this.facts.writes.add(name);
    else if (f.schemaname || f.catalogname || !inScope(scope, name)) this.facts.reads.add(name);
  }
}

/** Walk a top-level statement's whole tree. */
export function walkStatement(top: PgNode): WalkFacts {
  return new Walk().run(top);
}
