import { beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParser, SqlClassifier } from '../../proxy/policy/guard/sql.js';

/**
 * Whole migration files as tools send them (one Query message each): the facts of the message and of its
 * statements. Comments, PL/pgSQL bodies and string constants in them are full of keywords that must not count.
 */

const CREATE_ORDERS = `-- Migration 20240101120000_create_orders
-- WARNING: never DELETE FROM orders by hand; use the archive job.
BEGIN;

CREATE TABLE IF NOT EXISTS public.orders (
  id          bigserial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES public.customers (id) ON DELETE CASCADE,
  status      text   NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid', 'dropped')),
  note        text   DEFAULT 'TRUNCATE me; DROP TABLE x',
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX orders_customer_idx ON public.orders (customer_id);

CREATE OR REPLACE FUNCTION public.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  -- DELETE FROM orders; would be a disaster here
  NEW.updated_at := now();
  RETURN NEW;
END;
$fn$;

CREATE TRIGGER orders_touch BEFORE UPDATE ON public.orders
  FOR EACH ROW EXECUTE FUNCTION public.touch_updated_at();

/* Legacy column: /* nested comment */ dropped after the 2023 backfill */
ALTER TABLE public.orders DROP COLUMN IF EXISTS legacy_status;

INSERT INTO public.schema_migrations (version) VALUES ('20240101120000');
COMMIT;
`;

// Django's sqlmigrate output style: quoted identifiers everywhere, a data migration in the middle.
const DJANGO = `BEGIN;
--
-- Add field is_active to user
--
ALTER TABLE "accounts_user" ADD COLUMN "is_active" boolean DEFAULT true NOT NULL;
ALTER TABLE "accounts_user" ALTER COLUMN "is_active" DROP DEFAULT;
--
-- Raw SQL operation
--
UPDATE "accounts_user" SET "is_active" = false WHERE "accounts_user"."last_login" < '2020-01-01'::date;
DELETE FROM "accounts_session" WHERE "expire_date" < now();
COMMIT;`;

// Prisma migration: enum, table, foreign key, then a careless cleanup.
const PRISMA = `-- CreateEnum
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');

-- CreateTable
CREATE TABLE "Post" (
    "id" SERIAL NOT NULL,
    "authorId" INTEGER NOT NULL,
    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Cleanup
DELETE FROM "Post" WHERE 1 = 1;
`;

// Flyway-style repeatable migration with a DO block and dollar quoting inside dollar quoting.
const FLYWAY = `SET search_path TO app;
DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reporter') THEN
    EXECUTE $sql$CREATE ROLE reporter$sql$;
  END IF;
END
$do$;
GRANT SELECT ON ALL TABLES IN SCHEMA app TO reporter;`;

const classifier = new SqlClassifier();
beforeAll(async () => {
  await loadSqlParser();
});

describe('SQL classifier: migration files', () => {
  it('a hand-written migration: DDL with a dropped column, comments and a PL/pgSQL body full of keywords', () => {
    const f = classifier.classify(CREATE_ORDERS);
    expect(f).toMatchObject({
      effect: 'ddl',
      commands: [
        'BEGIN',
        'CREATE TABLE',
        'CREATE INDEX',
        'CREATE FUNCTION',
        'CREATE TRIGGER',
        'ALTER TABLE',
        'INSERT',
        'COMMIT',
      ],
      reads: ['public.customers'],
      writes: ['public.orders', 'public.schema_migrations'],
      noWhere: false,
      functions: [],
      copyProgram: false,
      alterDrop: true,
    });
    expect(f.statements.map((s) => s.effect)).toEqual([
      'utility',
      'ddl',
      'ddl',
      'ddl',
      'ddl',
      'ddl',
      'insert',
      'utility',
    ]);
    expect(f.statements[5]).toMatchObject({
      node: 'AlterTableStmt',
      writes: ['public.orders'],
      alterDrop: true,
    });
  });

  it("Django's sqlmigrate output: quoted names, an UPDATE and a DELETE that have their WHERE", () => {
    const f = classifier.classify(DJANGO);
    expect(f).toMatchObject({
      effect: 'ddl',
      commands: ['BEGIN', 'ALTER TABLE', 'UPDATE', 'DELETE', 'COMMIT'],
      reads: [],
      writes: ['accounts_session', 'accounts_user'],
      noWhere: false,
      alterDrop: false,
    });
    expect(f.statements[3]).toMatchObject({ effect: 'update', writes: ['accounts_user'], noWhere: false });
  });

  it('a Prisma migration ending in DELETE … WHERE 1 = 1: every row, in a quoted mixed-case table', () => {
    const f = classifier.classify(PRISMA);
    expect(f).toMatchObject({
      effect: 'ddl',
      commands: ['CREATE TYPE', 'CREATE TABLE', 'ALTER TABLE', 'DELETE'],
      reads: ['User'],
      writes: ['Post'],
      noWhere: true,
    });
    expect(f.statements[3]).toMatchObject({ effect: 'delete', writes: ['Post'], noWhere: true });
  });

  it('a Flyway script with a DO block: unknown, whatever its body says', () => {
    const f = classifier.classify(FLYWAY);
    expect(f).toMatchObject({ effect: 'unknown', commands: ['SET', 'DO', 'GRANT'], writes: [] });
    expect(f.statements.map((s) => s.effect)).toEqual(['utility', 'unknown', 'dcl']);
  });
});
