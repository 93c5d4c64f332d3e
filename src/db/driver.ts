// One narrow SQL surface over both databases. The store writes SQL once against this; only
// connection handling, pipelining and wake-up delivery differ between PostgreSQL and PGlite.
import postgres from 'postgres';
import { FirebreakError } from '../core/errors.ts';
import { type Logger, silentLogger } from '../core/logger.ts';
import { superviseListen } from './listener.ts';
import { migrationsFolder } from './migrations-folder.ts';
import { migrationsPending } from './pending-migrations.ts';
import { retryTransient } from './transient.ts';

export { migrationsFolder };

export type Row = Record<string, unknown>;

export interface Statement {
  text: string;
  params: readonly unknown[];
}

export interface Queryable {
  query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

export type PoolMode = 'session' | 'transaction';

export interface SqlDriver extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** How wake-ups arrive: NOTIFY on a listening connection, or only the engine's polling. */
  readonly wakeups: 'notify' | 'polling';
  /** An interactive transaction, for read-decide-write sequences such as an approval decision. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs the statements in one transaction; on PostgreSQL they are pipelined in one round trip. */
  batch(statements: readonly Statement[]): Promise<Row[][]>;
  /**
   * Delivers NOTIFY payloads on `channel` (on PGlite, in-process: only one process opens its data).
   * `onRestored` is called when listening resumes after the connection was lost (notifications sent
   * meanwhile are gone: look for work).
   */
  listen(
    channel: string,
    onPayload: (payload: string) => void,
    onRestored?: () => void,
  ): Promise<() => Promise<void>>;
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
  /**
   * A direct connection (not through a transaction pooler) for LISTEN and migrations; 'none' listens on
   * nothing (the engine polls). Default: databaseUrl.
   */
  listenUrl?: string | undefined;
  /**
   * 'session' (default): a direct connection, or a pooler that keeps a server connection per client
   * connection. 'transaction': a pooler that may hand each transaction to another server connection
   * (PgBouncer `pool_mode = transaction`): no named prepared statements, and no statement sent on a
   * pooled connection before the one before it has been answered (PgBouncer 1.18 gives the server
   * connection back at the first ReadyForQuery and drops the answers still in the pipe, so the client
   * waits for good). LISTEN and migrations need a direct connection then: `listenUrl`.
   */
  poolMode?: PoolMode | undefined;
  /** How long an unreachable database is retried at start (first connection, migrations, LISTEN). */
  startupTimeoutMs?: number | undefined;
  logger?: Logger | undefined;
}

/**
 * Opens the database. A server that cannot be reached yet (restarting, not up) is retried with backoff
 * for `startupTimeoutMs` (default 60 s); then this fails with `database_unavailable` and closes what it
 * opened, so a process never idles with a pool and no work.
 */
export async function connect(opts: ConnectOptions): Promise<SqlDriver> {
  const logger = opts.logger ?? silentLogger;
  const startupTimeoutMs = opts.startupTimeoutMs ?? 60_000;
  const driver = opts.databaseUrl
    ? await connectPostgres({
        url: opts.databaseUrl,
        max: opts.poolSize ?? 10,
        listenUrl: opts.listenUrl ?? opts.databaseUrl,
        poolMode: opts.poolMode ?? 'session',
        startupTimeoutMs,
        logger,
      })
    : // PGlite (WebAssembly, the snapshot) loads only for a PGlite database: PostgreSQL starts without it.
      await (await import('./connect-pglite.ts')).connectPglite(
        opts.dataDir ?? './.firebreak',
        opts.migrate !== false,
      );
  const deadline = Date.now() + startupTimeoutMs;
  try {
    const probe = async () => {
      if (opts.migrate !== false) await driver.migrate();
      else await driver.query('select 1');
    };
    await retryTransient(probe, {
      what: opts.migrate !== false ? 'migrating the database' : 'connecting to the database',
      giveUp: () => Date.now() > deadline,
      logger,
      maxDelayMs: 2_000,
    });
  } catch (err) {
    await driver.close();
    throw unavailable(err, startupTimeoutMs);
  }
  return driver;
}

/** The error a start gives up with when the database (or `what` of it) stayed unreachable. */
export function unavailable(err: unknown, waitedMs: number, what = 'the database'): Error {
  if (!(err instanceof Error) || err instanceof FirebreakError) return err as Error;
  return new FirebreakError(
    'database_unavailable',
    `${what} could not be reached within ${Math.round(waitedMs / 1000)} s: ${err.message}`,
    { cause: err },
  );
}

export type MigratingDriver = SqlDriver & { migrate(): Promise<void> };

interface PostgresSettings {
  url: string;
  max: number;
  listenUrl: string;
  poolMode: PoolMode;
  startupTimeoutMs: number;
  logger: Logger;
}

/**
 * Seconds before a pool connection dials again after failing. postgres.js grows its default with every
 * failure across the pool (up to 20 s), so after an outage the engine sat idle long after the server was
 * back; the engine paces its own retries (commit backoff, heartbeat and poll intervals), so stay short.
 */
const reconnectBackoff = (retries: number) => Math.min(0.05 * 2 ** retries, 0.5);

async function connectPostgres(settings: PostgresSettings): Promise<MigratingDriver> {
  const { url, max } = settings;
  const prepare = settings.poolMode === 'session';
  // Options of every statement outside a transaction. Behind a transaction pooler, `onexecute` returning
  // false keeps postgres.js from sending another statement on the connection before this one's answer
  // (it is postgres.js's own hook, the one its sql.begin uses to reserve a connection).
  const single = prepare ? { prepare } : ({ prepare, onexecute: () => false } as { prepare: boolean });
  const sql = postgres(url, {
    max,
    onnotice: () => {},
    backoff: reconnectBackoff,
    connection: { application_name: 'firebreak' },
    prepare,
    // Timestamps and JSON come back as Date and objects; int8 as string, which the store converts.
  });
  const listenUrl = settings.listenUrl === 'none' ? null : settings.listenUrl;
  const driver: MigratingDriver = {
    kind: 'postgres',
    wakeups: listenUrl ? 'notify' : 'polling',
    async query<T extends Row>(text: string, params: readonly unknown[] = []) {
      return (await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], single)) as unknown as T[];
    },
    async transaction(fn) {
      const out = await sql.begin((tx) =>
        fn({
          async query<T extends Row>(text: string, params: readonly unknown[] = []) {
            return (await tx.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
              prepare,
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
          (await sql.unsafe(
            only.text,
            only.params as postgres.ParameterOrJSON<never>[],
            single,
          )) as unknown as Row[],
        ];
      }
      // Returning the pending queries as an array lets postgres.js pipeline them inside the transaction.
      const results = await sql.begin((tx) =>
        statements.map((s) => tx.unsafe(s.text, s.params as postgres.ParameterOrJSON<never>[], { prepare })),
      );
      return results as unknown as Row[][];
    },
    async listen(channel, onPayload, onRestored) {
      // No direct connection to listen on: the engine's polling finds the work.
      if (!listenUrl) return async () => {};
      return superviseListen(
        { url: listenUrl, startupTimeoutMs: settings.startupTimeoutMs, logger: settings.logger },
        channel,
        onPayload,
        onRestored ?? (() => {}),
      );
    },
    async notify(channel, payload) {
      await sql.unsafe('select pg_notify($1, $2)', [channel, payload], single);
    },
    async migrate() {
      if (!(await migrationsPending(driver))) return;
      // Loaded only when there is something to apply (pending-migrations.ts).
      const { migratePostgres } = await import('./migrate-postgres.ts');
      // On the direct connection when there is one; the lock is held by the migrating transaction itself,
      // so several processes starting at once take turns even through a pooler.
      const one = postgres(listenUrl ?? url, { max: 1, onnotice: () => {}, prepare: false });
      try {
        await migratePostgres(one, migrationsFolder);
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
