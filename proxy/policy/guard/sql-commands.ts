/**
 * What kind of statement a top-level parse tree node is: its effect and its command name. The effect follows
 * PostgreSQL's own split of statements for `log_statement` (GetCommandLogLevel in src/backend/tcop/utility.c:
 * `mod` statements are DML, `ddl` are DDL, `all` are utility), with roles and privileges (GRANT, REVOKE,
 * CREATE/ALTER/DROP ROLE, ALTER DEFAULT PRIVILEGES, REASSIGN OWNED) set apart as `dcl`, and `DO`, `CALL`,
 * `EXECUTE`, `LOAD` as `unknown` because what they do is not in the text. Command names follow the command
 * tags of CreateCommandTag in the same file (`DROP TABLE`, `ALTER INDEX`, `CREATE MATERIALIZED VIEW`).
 */

import { flag, type PgNode, str } from './sql-nodes.js';
import type { SqlEffect } from './types.js';

/** A statement's own effect and command, before its nested statements (data-modifying CTEs) are counted. */
export interface StatementKind {
  effect: SqlEffect;
  command: string;
}

/** ObjectType names whose words differ from the enum's (`OBJECT_MATVIEW` → `MATERIALIZED VIEW`). */
const OBJECT_WORDS: Readonly<Record<string, string>> = {
  OBJECT_MATVIEW: 'MATERIALIZED VIEW',
  OBJECT_FDW: 'FOREIGN DATA WRAPPER',
  OBJECT_FOREIGN_SERVER: 'SERVER',
  OBJECT_OPCLASS: 'OPERATOR CLASS',
  OBJECT_OPFAMILY: 'OPERATOR FAMILY',
  OBJECT_TSPARSER: 'TEXT SEARCH PARSER',
  OBJECT_TSDICTIONARY: 'TEXT SEARCH DICTIONARY',
  OBJECT_TSTEMPLATE: 'TEXT SEARCH TEMPLATE',
  OBJECT_TSCONFIGURATION: 'TEXT SEARCH CONFIGURATION',
  OBJECT_STATISTIC_EXT: 'STATISTICS',
  OBJECT_LARGEOBJECT: 'LARGE OBJECT',
  OBJECT_DOMCONSTRAINT: 'DOMAIN',
  OBJECT_TABCONSTRAINT: 'TABLE',
  OBJECT_COLUMN: 'TABLE',
  OBJECT_ATTRIBUTE: 'TYPE',
  OBJECT_PUBLICATION_REL: 'PUBLICATION',
  OBJECT_PUBLICATION_NAMESPACE: 'PUBLICATION',
};

/** The words PostgreSQL's command tags use for an ObjectType (`OBJECT_FOREIGN_TABLE` → `FOREIGN TABLE`). */
export function objectWords(objectType: string): string {
  return OBJECT_WORDS[objectType] ?? objectType.replace(/^OBJECT_/, '').replaceAll('_', ' ');
}

const TRANSACTION_COMMANDS: Readonly<Record<string, string>> = {
  TRANS_STMT_BEGIN: 'BEGIN',
  TRANS_STMT_START: 'START TRANSACTION',
  TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_SAVEPOINT: 'SAVEPOINT',
  TRANS_STMT_RELEASE: 'RELEASE',
  TRANS_STMT_ROLLBACK_TO: 'ROLLBACK',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};

/** Statements whose command name is fixed, with their effect. */
const FIXED: Readonly<Record<string, StatementKind>> = {
  InsertStmt: { effect: 'insert', command: 'INSERT' },
  UpdateStmt: { effect: 'update', command: 'UPDATE' },
  DeleteStmt: { effect: 'delete', command: 'DELETE' },
  // TRUNCATE empties its tables: a DELETE without WHERE in effect (pgAudit logs it in its WRITE class too).
  TruncateStmt: { effect: 'delete', command: 'TRUNCATE' },
  PLAssignStmt: { effect: 'read', command: 'SELECT' },
  DoStmt: { effect: 'unknown', command: 'DO' },
  CallStmt: { effect: 'unknown', command: 'CALL' },
  ExecuteStmt: { effect: 'unknown', command: 'EXECUTE' },
  LoadStmt: { effect: 'unknown', command: 'LOAD' },
  DeclareCursorStmt: { effect: 'utility', command: 'DECLARE CURSOR' },
  NotifyStmt: { effect: 'utility', command: 'NOTIFY' },
  ListenStmt: { effect: 'utility', command: 'LISTEN' },
  UnlistenStmt: { effect: 'utility', command: 'UNLISTEN' },
  VariableShowStmt: { effect: 'utility', command: 'SHOW' },
  LockStmt: { effect: 'utility', command: 'LOCK TABLE' },
  ConstraintsSetStmt: { effect: 'utility', command: 'SET CONSTRAINTS' },
  CheckPointStmt: { effect: 'utility', command: 'CHECKPOINT' },
  ReindexStmt: { effect: 'utility', command: 'REINDEX' },
  PrepareStmt: { effect: 'utility', command: 'PREPARE' },
  CreateRoleStmt: { effect: 'dcl', command: 'CREATE ROLE' },
  AlterRoleStmt: { effect: 'dcl', command: 'ALTER ROLE' },
  AlterRoleSetStmt: { effect: 'dcl', command: 'ALTER ROLE' },
  DropRoleStmt: { effect: 'dcl', command: 'DROP ROLE' },
  AlterDefaultPrivilegesStmt: { effect: 'dcl', command: 'ALTER DEFAULT PRIVILEGES' },
  ReassignOwnedStmt: { effect: 'dcl', command: 'REASSIGN OWNED' },
  DropOwnedStmt: { effect: 'ddl', command: 'DROP OWNED' },
  CreateSchemaStmt: { effect: 'ddl', command: 'CREATE SCHEMA' },
  CreateStmt: { effect: 'ddl', command: 'CREATE TABLE' },
  CreateForeignTableStmt: { effect: 'ddl', command: 'CREATE FOREIGN TABLE' },
  CreateTableSpaceStmt: { effect: 'ddl', command: 'CREATE TABLESPACE' },
  DropTableSpaceStmt: { effect: 'ddl', command: 'DROP TABLESPACE' },
  AlterTableSpaceOptionsStmt: { effect: 'ddl', command: 'ALTER TABLESPACE' },
  CreateExtensionStmt: { effect: 'ddl', command: 'CREATE EXTENSION' },
  AlterExtensionStmt: { effect: 'ddl', command: 'ALTER EXTENSION' },
  AlterExtensionContentsStmt: { effect: 'ddl', command: 'ALTER EXTENSION' },
  CreateFdwStmt: { effect: 'ddl', command: 'CREATE FOREIGN DATA WRAPPER' },
  AlterFdwStmt: { effect: 'ddl', command: 'ALTER FOREIGN DATA WRAPPER' },
  CreateForeignServerStmt: { effect: 'ddl', command: 'CREATE SERVER' },
  AlterForeignServerStmt: { effect: 'ddl', command: 'ALTER SERVER' },
  CreateUserMappingStmt: { effect: 'ddl', command: 'CREATE USER MAPPING' },
  AlterUserMappingStmt: { effect: 'ddl', command: 'ALTER USER MAPPING' },
  DropUserMappingStmt: { effect: 'ddl', command: 'DROP USER MAPPING' },
  ImportForeignSchemaStmt: { effect: 'ddl', command: 'IMPORT FOREIGN SCHEMA' },
  CommentStmt: { effect: 'ddl', command: 'COMMENT' },
  SecLabelStmt: { effect: 'ddl', command: 'SECURITY LABEL' },
  AlterDomainStmt: { effect: 'ddl', command: 'ALTER DOMAIN' },
  CreateDomainStmt: { effect: 'ddl', command: 'CREATE DOMAIN' },
  CompositeTypeStmt: { effect: 'ddl', command: 'CREATE TYPE' },
  CreateEnumStmt: { effect: 'ddl', command: 'CREATE TYPE' },
  CreateRangeStmt: { effect: 'ddl', command: 'CREATE TYPE' },
  AlterEnumStmt: { effect: 'ddl', command: 'ALTER TYPE' },
  AlterTypeStmt: { effect: 'ddl', command: 'ALTER TYPE' },
  ViewStmt: { effect: 'ddl', command: 'CREATE VIEW' },
  IndexStmt: { effect: 'ddl', command: 'CREATE INDEX' },
  RuleStmt: { effect: 'ddl', command: 'CREATE RULE' },
  CreateSeqStmt: { effect: 'ddl', command: 'CREATE SEQUENCE' },
  AlterSeqStmt: { effect: 'ddl', command: 'ALTER SEQUENCE' },
  CreatedbStmt: { effect: 'ddl', command: 'CREATE DATABASE' },
  AlterDatabaseStmt: { effect: 'ddl', command: 'ALTER DATABASE' },
  AlterDatabaseRefreshCollStmt: { effect: 'ddl', command: 'ALTER DATABASE' },
  AlterDatabaseSetStmt: { effect: 'ddl', command: 'ALTER DATABASE' },
  DropdbStmt: { effect: 'ddl', command: 'DROP DATABASE' },
  ClusterStmt: { effect: 'ddl', command: 'CLUSTER' },
  RefreshMatViewStmt: { effect: 'ddl', command: 'REFRESH MATERIALIZED VIEW' },
  AlterSystemStmt: { effect: 'ddl', command: 'ALTER SYSTEM' },
  CreateTransformStmt: { effect: 'ddl', command: 'CREATE TRANSFORM' },
  CreateTrigStmt: { effect: 'ddl', command: 'CREATE TRIGGER' },
  CreateEventTrigStmt: { effect: 'ddl', command: 'CREATE EVENT TRIGGER' },
  AlterEventTrigStmt: { effect: 'ddl', command: 'ALTER EVENT TRIGGER' },
  CreatePLangStmt: { effect: 'ddl', command: 'CREATE LANGUAGE' },
  CreateConversionStmt: { effect: 'ddl', command: 'CREATE CONVERSION' },
  CreateCastStmt: { effect: 'ddl', command: 'CREATE CAST' },
  CreateOpClassStmt: { effect: 'ddl', command: 'CREATE OPERATOR CLASS' },
  CreateOpFamilyStmt: { effect: 'ddl', command: 'CREATE OPERATOR FAMILY' },
  AlterOpFamilyStmt: { effect: 'ddl', command: 'ALTER OPERATOR FAMILY' },
  AlterOperatorStmt: { effect: 'ddl', command: 'ALTER OPERATOR' },
  AlterTSDictionaryStmt: { effect: 'ddl', command: 'ALTER TEXT SEARCH DICTIONARY' },
  AlterTSConfigurationStmt: { effect: 'ddl', command: 'ALTER TEXT SEARCH CONFIGURATION' },
  CreatePolicyStmt: { effect: 'ddl', command: 'CREATE POLICY' },
  AlterPolicyStmt: { effect: 'ddl', command: 'ALTER POLICY' },
  CreateAmStmt: { effect: 'ddl', command: 'CREATE ACCESS METHOD' },
  CreatePublicationStmt: { effect: 'ddl', command: 'CREATE PUBLICATION' },
  AlterPublicationStmt: { effect: 'ddl', command: 'ALTER PUBLICATION' },
  CreateSubscriptionStmt: { effect: 'ddl', command: 'CREATE SUBSCRIPTION' },
  AlterSubscriptionStmt: { effect: 'ddl', command: 'ALTER SUBSCRIPTION' },
  DropSubscriptionStmt: { effect: 'ddl', command: 'DROP SUBSCRIPTION' },
  AlterCollationStmt: { effect: 'ddl', command: 'ALTER COLLATION' },
  CreateStatsStmt: { effect: 'ddl', command: 'CREATE STATISTICS' },
  AlterStatsStmt: { effect: 'ddl', command: 'ALTER STATISTICS' },
};

/** Statements whose command name depends on their fields. */
function variable(node: PgNode): StatementKind | undefined {
  const f = node.fields;
  switch (node.type) {
    case 'SelectStmt':
      // SELECT … INTO creates a table (CreateCommandTag: SELECT INTO; GetCommandLogLevel: ddl).
      return f.intoClause ? { effect: 'ddl', command: 'SELECT INTO' } : { effect: 'read', command: 'SELECT' };
    case 'MergeStmt':
      return { effect: 'insert', command: 'MERGE' }; // raised to update/delete by its WHEN clauses (sql-walk.ts)
    case 'CopyStmt':
      return { effect: flag(f, 'is_from') ? 'insert' : 'read', command: 'COPY' };
    case 'ExplainStmt':
      return { effect: 'read', command: 'EXPLAIN' };
    case 'TransactionStmt':
      return { effect: 'utility', command: TRANSACTION_COMMANDS[str(f, 'kind')] ?? 'BEGIN' };
    case 'VariableSetStmt': {
      const kind = str(f, 'kind');
      return {
        effect: 'utility',
        command: kind === 'VAR_RESET' || kind === 'VAR_RESET_ALL' ? 'RESET' : 'SET',
      };
    }
    case 'VacuumStmt':
      return { effect: 'utility', command: flag(f, 'is_vacuumcmd') ? 'VACUUM' : 'ANALYZE' };
    case 'DiscardStmt':
      return {
        effect: 'utility',
        command: `DISCARD ${str(f, 'target', 'DISCARD_ALL').replace('DISCARD_', '')}`,
      };
    case 'ClosePortalStmt':
      return { effect: 'utility', command: f.portalname ? 'CLOSE CURSOR' : 'CLOSE CURSOR ALL' };
    case 'FetchStmt':
      return { effect: 'utility', command: flag(f, 'ismove') ? 'MOVE' : 'FETCH' };
    case 'DeallocateStmt':
      return { effect: 'utility', command: flag(f, 'isall') ? 'DEALLOCATE ALL' : 'DEALLOCATE' };
    case 'GrantStmt':
      return { effect: 'dcl', command: flag(f, 'is_grant') ? 'GRANT' : 'REVOKE' };
    case 'GrantRoleStmt':
      return { effect: 'dcl', command: flag(f, 'is_grant') ? 'GRANT ROLE' : 'REVOKE ROLE' };
    case 'CreateTableAsStmt': {
      const into = f.is_select_into ? 'SELECT INTO' : 'CREATE TABLE AS';
      const command = str(f, 'objtype') === 'OBJECT_MATVIEW' ? 'CREATE MATERIALIZED VIEW' : into;
      return { effect: 'ddl', command };
    }
    case 'CreateFunctionStmt':
      return { effect: 'ddl', command: flag(f, 'is_procedure') ? 'CREATE PROCEDURE' : 'CREATE FUNCTION' };
    case 'AlterFunctionStmt':
      return { effect: 'ddl', command: `ALTER ${objectWords(str(f, 'objtype', 'OBJECT_FUNCTION'))}` };
    case 'DefineStmt':
      return { effect: 'ddl', command: `CREATE ${objectWords(str(f, 'kind', 'OBJECT_TYPE'))}` };
    case 'DropStmt':
      return { effect: 'ddl', command: `DROP ${objectWords(str(f, 'removeType', 'OBJECT_TABLE'))}` };
    case 'AlterTableStmt':
    case 'AlterTableMoveAllStmt':
      return { effect: 'ddl', command: `ALTER ${objectWords(str(f, 'objtype', 'OBJECT_TABLE'))}` };
    case 'RenameStmt':
      return { effect: 'ddl', command: `ALTER ${objectWords(str(f, 'renameType', 'OBJECT_TABLE'))}` };
    case 'AlterObjectDependsStmt':
    case 'AlterObjectSchemaStmt':
    case 'AlterOwnerStmt':
      return { effect: 'ddl', command: `ALTER ${objectWords(str(f, 'objectType', 'OBJECT_TABLE'))}` };
    default:
      return undefined;
  }
}

/**
 * The effect and command of a top-level statement node. A node type this table does not know (a newer
 * PostgreSQL's statement) is `unknown`, named by its node type, never assumed harmless.
 */
export function statementKind(node: PgNode): StatementKind {
  return variable(node) ?? FIXED[node.type] ?? { effect: 'unknown', command: node.type };
}

/** Effects from the least to the most dangerous (types.ts, SqlFacts.effect). */
const EFFECT_ORDER: readonly SqlEffect[] = [
  'read',
  'utility',
  'insert',
  'update',
  'delete',
  'dcl',
  'ddl',
  'unknown',
];

/** The more dangerous of two effects (order: unknown > ddl > dcl > delete > update > insert > utility > read). */
export function moreDangerous(a: SqlEffect, b: SqlEffect): SqlEffect {
  return EFFECT_ORDER.indexOf(b) > EFFECT_ORDER.indexOf(a) ? b : a;
}
