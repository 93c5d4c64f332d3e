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
