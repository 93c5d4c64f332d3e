// The database handle the store's classes are built on. The edges hand it from createFirebreak to the
// store (and the services that build store classes); only src/store runs statements on it.
import type { Queryable, SqlDriver } from '../db/driver.ts';

export type Database = SqlDriver;
export type { Queryable };

/** The database under a SqlStore (createFirebreak's `fb.store`), for the store's other tables. */
export function databaseOf(store: { readonly driver: Database }): Database {
  return store.driver;
}
