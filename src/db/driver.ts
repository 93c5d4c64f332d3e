// One narrow SQL surface over both databases. The store writes SQL once against this; only
// connection handling, pipelining and wake-up delivery differ between PostgreSQL and PGlite.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { lockDataDir } from './data-dir-lock.ts';
import { durablePglite } from './durable-pglite.ts';
import { migrationsPending } from './pending-migrations.ts';
import { pgliteInitDbParams, pgliteStartParams } from './pglite-settings.ts';
import { migratedSnapshot, migrationsFolder, writeMigratedSnapshot } from './pglite-snapshot.ts';

export { migrationsFolder };

export type Row = Record<string, unknown>;

export interface Statement {
  text: string;
  params: readonly unknown[];
}

export interface Queryable {
  query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface SqlDriver extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** An interactive transaction, for read-decide-write sequences such as an approval decision. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs the statements in one transaction; on PostgreSQL they are pipelined in one round trip. */
  batch(statements: readonly Statement[]): Promise<Row[][]>;
  /** Delivers NOTIFY payloads on `channel` (on PGlite, in-process: only one process opens its data). */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** postgres://… for PostgreSQL; unset for PGlite. */
  databaseUrl?: string | undefined;
  /** PGlite data directory; `memory://` keeps everything in memory (tests). */
  dataDir?: string | undefined;
  /** PostgreSQL pool size. */
  poolSize?: number | undefined;
  migrate?: boolean | undefined;
}

export async function connect(opts: ConnectOptions): Promise<SqlDriver> {
  const driver = opts.databaseUrl
    ? await connectPostgres(opts.databaseUrl, opts.poolSize ?? 10)
    : await connectPglite(opts.dataDir ?? './.firebreak', opts.migrate !== false);
  if (opts.migrate !== false) {
    try {
      await driver.migrate();
    } catch (err) {
      await driver.close();
      throw err;
    }
  }
  return driver;
}

type MigratingDriver = SqlDriver & { migrate(): Promise<void> };

const MIGRATION_LOCK = 727_170_001;

/**
 * Seconds before a pool connection dials again after failing. postgres.js grows its default with every
 * failure across the pool (up to 20 s), so after an outage the engine sat idle long after the server was
 * back; the engine paces its own retries (commit backoff, heartbeat and poll intervals), so stay short.
 */
const reconnectBackoff = (retries: number) => Math.min(0.05 * 2 ** retries, 0.5);

async function connectPostgres(url: string, max: number): Promise<MigratingDriver> {
  const sql = postgres(url, {
    max,
    onnotice: () => {},
    backoff: reconnectBackoff,
    connection: { application_name: 'firebreak' },
    // Timestamps and JSON come back as Date and objects; int8 as string, which the store converts.
  });
  const driver: MigratingDriver = {
    kind: 'postgres',
    async query<T extends Row>(text: string, params: readonly unknown[] = []) {
      return (await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
        prepare: true,
      })) as unknown as T[];
    },
    async transaction(fn) {
      const out = await sql.begin((tx) =>
        fn({
          async query<T extends Row>(text: string, params: readonly unknown[] = []) {
            return (await tx.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
              prepare: true,
            })) as unknown as T[];
          },
        }),
      );
      return out as Awaited<ReturnType<typeof fn>>;
    },
    async batch(statements) {
      if (statements.length === 1) {
        const only = statements[0]!;
        return [
          (await sql.unsafe(only.text, only.params as postgres.ParameterOrJSON<never>[], {
            prepare: true,
          })) as unknown as Row[],
        ];
      }
      // Returning the pending queries as an array lets postgres.js pipeline them inside the transaction.
      const results = await sql.begin((tx) =>
        statements.map((s) =>
          tx.unsafe(s.text, s.params as postgres.ParameterOrJSON<never>[], { prepare: true }),
        ),
      );
      return results as unknown as Row[][];
    },
    async listen(channel, onPayload) {
      const sub = await sql.listen(channel, onPayload);
      return () => sub.unlisten();
    },
    async notify(channel, payload) {
      await sql.notify(channel, payload);
    },
    async migrate() {
      if (!(await migrationsPending(driver))) return;
      const { drizzle } = await import('drizzle-orm/postgres-js');
      const { migrate } = await import('drizzle-orm/postgres-js/migrator');
      // Several workers may start at once: an advisory lock on a one-connection client serialises them.
      const one = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await one`select pg_advisory_lock(${MIGRATION_LOCK})`;
        await migrate(drizzle(one), { migrationsFolder });
      } finally {
        await one.end({ timeout: 5 });
      }
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
  return driver;
}

async function connectPglite(dataDir: string, migrated: boolean): Promise<MigratingDriver> {
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  // Taken before PGlite (or the snapshot) touches a file, held until close: one process per directory
  // (data-dir-lock.ts).
  const lock = inMemory ? null : await lockDataDir(dataDir);
  let pg: PGlite;
  try {
    // A new database starts from the build's migrated snapshot instead of initdb (see pglite-snapshot.ts):
    // written into an empty directory, or handed over whole to an in-memory database.
    let snapshot: Blob | null = null;
    let fromSnapshot = false;
    if (inMemory) snapshot = migrated ? migratedSnapshot() : null;
    else if (!existsSync(join(dataDir, 'PG_VERSION')))
      fromSnapshot = migrated && writeMigratedSnapshot(dataDir);
    const init = snapshot
      ? { loadDataDir: snapshot }
      : fromSnapshot
        ? {}
        : { initDbStartParams: pgliteInitDbParams };
    pg = inMemory
      ? await PGlite.create(dataDir, { startParams: pgliteStartParams, ...init })
      : await PGlite.create({ ...durablePglite(dataDir, pgliteStartParams), ...init });
  } catch (err) {
    lock?.release();
    throw err;
  }
  const driver: MigratingDriver = {
    kind: 'pglite',
    async query<T extends Row>(text: string, params: readonly unknown[] = []) {
      return (await pg.query<T>(text, params as unknown[])).rows;
    },
    async transaction(fn) {
      return pg.transaction((tx) =>
        fn({
          async query<T extends Row>(text: string, params: readonly unknown[] = []) {
            return (await tx.query<T>(text, params as unknown[])).rows;
          },
        }),
      );
    },
    async batch(statements) {
      if (statements.length === 1) {
        const only = statements[0]!;
        return [(await pg.query<Row>(only.text, only.params as unknown[])).rows];
      }
      return pg.transaction(async (tx) => {
        const out: Row[][] = [];
        for (const s of statements) out.push((await tx.query<Row>(s.text, s.params as unknown[])).rows);
        return out;
      });
    },
    async listen(channel, onPayload) {
      // PGlite delivers pg_notify from any statement of this instance to its listeners, after commit.
      return pg.listen(channel, onPayload);
    },
    async notify(channel, payload) {
      await pg.query('select pg_notify($1, $2)', [channel, payload]);
    },
    async migrate() {
      if (!(await migrationsPending(driver))) return;
      const { drizzle } = await import('drizzle-orm/pglite');
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      await migrate(drizzle(pg), { migrationsFolder });
    },
    async close() {
      try {
        await pg.close();
      } finally {
        lock?.release();
      }
    },
  };
  return driver;
}
