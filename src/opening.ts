// What a start waits on longest — the database (connect, migrations) and the runbooks (compiled on the
// module-hooks thread) — begun together by createFirebreak. `serve` begins the database part before it
// even imports the server, so connecting and migrating (mostly PostgreSQL's work, in its own process)
// overlap the main thread loading modules. Not the runbooks: loading them installs the module hooks,
// and every module imported after that goes through the hooks thread (measured: +0.2 s of CPU per start).
import type { Logger } from './core/logger.ts';
import { type LoadReport, loadRunbooks } from './runbooks/loader.ts';
import { type Database, openDatabase, type PoolMode } from './store/open.ts';

export interface OpeningOptions {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  poolSize?: number | undefined;
  listenUrl?: string | undefined;
  poolMode?: PoolMode | undefined;
  startupTimeoutMs?: number | undefined;
  migrate?: boolean | undefined;
  runbooksDir?: string | undefined;
  logger?: Logger | undefined;
}

export interface Opening {
  readonly database: Promise<Database>;
  /** Unset: the runbooks are loaded by whoever takes the opening. */
  readonly loading?: Promise<LoadReport>;
}

/** Starts loading the runbooks folder (none: an empty report). */
export function beginLoading(runbooksDir: string | undefined): Promise<LoadReport> {
  const loading: Promise<LoadReport> = runbooksDir
    ? loadRunbooks(runbooksDir)
    : Promise.resolve({ loaded: [], failed: [] });
  // Whoever takes it awaits it; until then a failure is not "unhandled".
  loading.catch(() => {});
  return loading;
}

/** Starts connecting (and migrating), and unless `runbooks` is false, loading the runbooks. */
export function beginOpening(opts: OpeningOptions, { runbooks = true } = {}): Opening {
  // The runbooks compile while the database connects and migrations are checked: a start takes the
  // longer of the two, not their sum. A refused start (the PGlite lock, an unreachable database) still
  // fails at once: nothing waits for the runbooks then.
  const loading = runbooks ? beginLoading(opts.runbooksDir) : undefined;
  const database = openDatabase({
    databaseUrl: opts.databaseUrl,
    dataDir: opts.dataDir,
    poolSize: opts.poolSize,
    migrate: opts.migrate,
    listenUrl: opts.listenUrl,
    poolMode: opts.poolMode,
    startupTimeoutMs: opts.startupTimeoutMs,
    logger: opts.logger,
  });
  database.catch(() => {});
  return loading ? { database, loading } : { database };
}

/** An opening that will not be used (the start failed before it was taken): its database is closed. */
export function abandonOpening(opening: Opening): Promise<void> {
  return opening.database.then(
    (d) => d.close().catch(() => {}),
    () => {},
  );
}
