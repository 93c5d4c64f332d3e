// drizzle's query builder over the driver the store already holds (postgres.js or PGlite), for reads that
// are not on a measured hot path: their row types come from src/db/schema.ts instead of a hand-written
// decoder. drizzle's pg-proxy session sends each statement through `Queryable.query`, so the builder
// shares the store's pool, transaction-pooler settings and transient-error handling.
import { type PgRemoteDatabase, drizzle as proxy } from 'drizzle-orm/pg-proxy';
import type { Queryable } from './driver.ts';

export type Drizzle = PgRemoteDatabase;

/**
 * The builder maps the columns of a select by position, while the driver returns rows keyed by name:
 * a select list must not name two columns alike (alias one of them), or one would shadow the other.
 */
export function drizzleOver(db: Queryable): Drizzle {
  return proxy(async (text, params, method) => {
    const rows = await db.query(text, params);
    return { rows: method === 'all' ? rows.map((r) => Object.values(r)) : rows };
  });
}
