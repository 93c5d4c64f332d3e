// Where a test's data lives: in-memory PGlite by default, a fresh PostgreSQL database when DATABASE_URL
// is set (created from a migrated template, dropped when the test is done).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';

export const onPostgres = Boolean(process.env.DATABASE_URL);

/**
 * Behind a transaction pooler (the pooled CI pass, test/support/with-pgbouncer.ts): FIREBREAK_LISTEN_URL
 * names the server itself, for LISTEN and migrations, and FIREBREAK_DB_POOL_MODE is `transaction`.
 */
const directServer = process.env.FIREBREAK_LISTEN_URL;
const poolMode = process.env.FIREBREAK_DB_POOL_MODE === 'transaction' ? ('transaction' as const) : undefined;

/** The direct (not pooled) URL of `databaseUrl`'s database, when the tests run behind a pooler. */
export function directUrlFor(databaseUrl: string | undefined): string | undefined {
  if (!databaseUrl || !directServer || directServer === 'none') return undefined;
  const url = new URL(directServer);
  url.pathname = new URL(databaseUrl).pathname;
  return url.toString();
}

export interface TestDatabase {
  /** postgres:// URL, or undefined for PGlite. */
  databaseUrl: string | undefined;
  /** Behind a pooler: the direct connection for LISTEN and migrations (else undefined: the same URL). */
  listenUrl: string | undefined;
  /** Behind a transaction pooler: 'transaction' (else undefined: the default). */
  poolMode: 'transaction' | undefined;
  /** PGlite data dir (memory://) when not on PostgreSQL. */
  dataDir: string;
  drop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Overridable so that test runs sharing one server at the same time do not drop each other's template. */
/** Named after the run's database, so test runs against different databases never drop each other's. */
export const TEMPLATE_DB =
  process.env.FIREBREAK_TEST_TEMPLATE ??
  `${(new URL(process.env.DATABASE_URL ?? 'postgres://x/firebreak').pathname.slice(1) || 'firebreak').replace(/\W/g, '_').slice(0, 40)}_template`;

export function serverUrl(database: string): string {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * A database of its own for one test (file). `durable` keeps PGlite's data in a temp directory, so a
 * test can close a firebreak and open another on the same data (restart and crash tests).
 */
export async function testDatabase(opts: { durable?: boolean } = {}): Promise<TestDatabase> {
  if (!onPostgres && opts.durable) {
    const dataDir = await mkdtemp(join(tmpdir(), 'firebreak-test-'));
    const drop = () => rm(dataDir, { recursive: true, force: true });
    return { ...onPglite, dataDir, drop, [Symbol.asyncDispose]: drop };
  }
  if (!onPostgres) {
    const noop = async () => {};
    return { ...onPglite, dataDir: 'memory://', drop: noop, [Symbol.asyncDispose]: noop };
  }
  const name = `firebreak_t_${randomBytes(5).toString('hex')}`;
  const admin = postgres(serverUrl('postgres'), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  const drop = async () => {
    const a = postgres(serverUrl('postgres'), { max: 1, onnotice: () => {} });
    try {
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await a.end();
    }
  };
  const databaseUrl = serverUrl(name);
  return {
    databaseUrl,
    listenUrl: directUrlFor(databaseUrl),
    poolMode,
    dataDir: 'memory://',
    drop,
    [Symbol.asyncDispose]: drop,
  };
}

const onPglite = { databaseUrl: undefined, listenUrl: undefined, poolMode: undefined };

/** How firebreak opens a test database: its URL and, behind a pooler, the direct URL and pool mode. */
export function connectOptionsOf(db: TestDatabase) {
  return {
    databaseUrl: db.databaseUrl,
    dataDir: db.dataDir,
    listenUrl: db.listenUrl,
    poolMode: db.poolMode,
  };
}
