// The database for the one-shot commands that need no store (migrate, export, doctor): opening it, and
// the questions `firebreak doctor` asks. Loaded only by those commands, so it imports the driver and
// nothing of the engine.
import { type ConnectOptions, connect, type Queryable, type SqlDriver } from '../db/driver.ts';

export type { ConnectOptions, SqlDriver as DbDriver } from '../db/driver.ts';

/** Opens the database; with `migrate: true` it applies the pending migrations first (src/db). */
export function connectDatabase(opts: ConnectOptions): Promise<SqlDriver> {
  return connect(opts);
}

/** The database server's clock. */
export async function databaseNow(db: Queryable): Promise<Date> {
  const [row] = await db.query<{ now: Date }>('select now() as now');
  return new Date(row!.now);
}

/** The `created_at` stamps (the journal's `when`) of the applied migrations; rejects before any ran. */
export async function appliedMigrationStamps(db: Queryable): Promise<number[]> {
  const rows = await db.query<{ created_at: string | number }>(
    'select created_at from drizzle.__drizzle_migrations',
  );
  return rows.map((r) => Number(r.created_at));
}
