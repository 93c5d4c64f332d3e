// Where a test's data lives: in-memory PGlite by default, a fresh PostgreSQL database when DATABASE_URL
// is set (created from a migrated template, dropped when the test is done).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';

export const onPostgres = Boolean(process.env.DATABASE_URL);

export interface TestDatabase {
  /** postgres:// URL, or undefined for PGlite. */
  databaseUrl: string | undefined;
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
    return { databaseUrl: undefined, dataDir, drop, [Symbol.asyncDispose]: drop };
  }
  if (!onPostgres) {
    const noop = async () => {};
    return { databaseUrl: undefined, dataDir: 'memory://', drop: noop, [Symbol.asyncDispose]: noop };
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
  return { databaseUrl: serverUrl(name), dataDir: 'memory://', drop, [Symbol.asyncDispose]: drop };
}
