// drizzle's query builder over the one driver: reads get their row types from schema.ts instead of a
// hand-written decoder, and still go through `Queryable.query` (the pooler settings, PGlite or
// PostgreSQL alike). drizzle's own postgres.js adapter would rewrite the shared client's type parsers
// (timestamps as strings) under the store's other statements, so the proxy adapter is used instead.
import { drizzle, type PgRemoteDatabase } from 'drizzle-orm/pg-proxy';
import type { Queryable } from './driver.ts';
import * as schema from './schema.ts';

export type Db = PgRemoteDatabase<typeof schema>;

const instances = new WeakMap<Queryable, Db>();

/**
 * The drizzle database over `q`. Rows come back as objects keyed by column name and are handed to
 * drizzle in column order, so a select must not name two columns alike (alias one in a join).
 */
export function drizzleOf(q: Queryable): Db {
  let db = instances.get(q);
  if (!db) {
    db = drizzle(
      async (text, params, method) => {
        const rows = await q.query(text, params);
        return { rows: method === 'all' ? rows.map((r) => Object.values(r)) : rows };
      },
      { schema },
    );
    instances.set(q, db);
  }
  return db;
}
