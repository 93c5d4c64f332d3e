// Opening the database, for the composition root (src/firebreak.ts, src/opening.ts), which never touches
// the driver: connect (retrying an unreachable server, migrating) first, make the store once the
// redactor is known. `serve` begins connecting before it has even imported the server.

import type { Redactor } from '../core/redact.ts';
import { type ConnectOptions, connect, type PoolMode, type SqlDriver, unavailable } from '../db/driver.ts';
import { SqlStore } from './sql-store.ts';
import type { Store } from './store.ts';

export type { PoolMode };
export type DatabaseOptions = ConnectOptions;

/** A connected (and migrated) database, not yet a store. */
export class Database {
  readonly #driver: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#driver = driver;
  }

  /** The one Store on this database; closing it closes the database. */
  openStore(opts: { redactor?: Redactor } = {}): Store {
    return new SqlStore(this.#driver, opts.redactor ? { redactor: opts.redactor } : {});
  }

  close(): Promise<void> {
    return this.#driver.close();
  }
}

/**
 * Connects; a server that cannot be reached yet is retried for `startupTimeoutMs`, then this fails with
 * `database_unavailable` (see connect in src/db/driver.ts).
 */
export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  return new Database(await connect(opts));
}

/** What a failure to reach the database within `waitedMs` is reported as (`database_unavailable`). */
export function databaseUnavailable(err: unknown, waitedMs: number, what?: string): Error {
  return unavailable(err, waitedMs, what);
}
