// Benchmark databases: each peer gets its own, created fresh on the same server.
import postgres from 'postgres';

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function recreateDatabase(serverUrl: string, database: string): Promise<void> {
  // The name is interpolated into DDL, so only accept plain identifiers.
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`refusing database name ${database}`);
  const admin = postgres(databaseUrl(serverUrl, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    // FORCE ends sessions a crashed earlier run may have left connected.
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
}

/**
 * The backends serving firebreak on this database: only their CPU counts. Other databases on the server
 * are someone else's load, and the bench's own sessions (its checks, the wait sampler) are not firebreak's
 * work; firebreak names its connections (application_name 'firebreak', 'firebreak-listen').
 */
export async function backendPids(sql: postgres.Sql, database: string): Promise<number[]> {
  const rows = await sql<{ pid: number }[]>`
    select pid from pg_stat_activity
    where datname = ${database} and application_name like 'firebreak%' and pid <> pg_backend_pid()`;
  return rows.map((r) => r.pid);
}
