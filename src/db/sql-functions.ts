// The PL/pgSQL functions live in src/db/functions/<name>.sql, one file each, holding the function as it
// is now. Migrations stay history: a change is made by editing the file and running `npm run
// db:functions`, which writes a migration with the CREATE OR REPLACE of every file whose function
// differs from the one the migrations define (scripts/sql-functions.mjs). test/db/sql-functions.test.ts
// fails while a file and the migrated database disagree.
//
// "Differs" is asked of the database itself: each file is applied in a transaction that is rolled back,
// and the catalog's definition (pg_get_functiondef: arguments, result, settings and body) compared before
// and after. No parsing of SQL, and the same answer on PostgreSQL and PGlite.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Queryable, SqlDriver } from './driver.ts';

export const functionsFolder = fileURLToPath(new URL('./functions/', import.meta.url));

export interface FunctionFile {
  /** The function's name, which is the file's name. */
  name: string;
  /** The whole file: one CREATE OR REPLACE FUNCTION statement, with comments. */
  sql: string;
}

export function readFunctionFiles(folder = functionsFolder): FunctionFile[] {
  return readdirSync(folder)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => ({ name: f.slice(0, -'.sql'.length), sql: readFileSync(join(folder, f), 'utf8') }));
}

/** The definitions of every function of that name in the public schema (overloads sorted). */
export async function functionDefinition(db: Queryable, name: string): Promise<string | null> {
  const rows = await db.query<{ def: string }>(
    `select pg_get_functiondef(p.oid) as def from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' and p.proname = $1 order by pg_get_function_identity_arguments(p.oid)`,
    [name],
  );
  return rows.length === 0 ? null : rows.map((r) => r.def).join('\n');
}

/** The names of the functions in the public schema. */
export async function databaseFunctions(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `select distinct p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' order by 1`,
  );
  return rows.map((r) => r.name);
}

export interface FunctionChange {
  name: string;
  /** The database's definition, or null if it has no such function. */
  current: string | null;
  /** The definition once the file is applied. */
  wanted: string;
}

class Rollback extends Error {}

/** The files whose function is not the database's; the database is left as it was. */
export async function changedFunctions(
  driver: SqlDriver,
  files: readonly FunctionFile[] = readFunctionFiles(),
): Promise<FunctionChange[]> {
  const changes: FunctionChange[] = [];
  for (const file of files) {
    try {
      await driver.transaction(async (tx) => {
        const current = await functionDefinition(tx, file.name);
        await tx.query(file.sql);
        const wanted = await functionDefinition(tx, file.name);
        if (wanted === null) throw new Error(`${file.name}.sql does not define a function ${file.name}`);
        if (wanted !== current) changes.push({ name: file.name, current, wanted });
        throw new Rollback();
      });
    } catch (err) {
      if (!(err instanceof Rollback)) throw err;
    }
  }
  return changes;
}
