// On PostgreSQL, migrate a template database once; each test then copies it (fast, and isolated).
import postgres from 'postgres';
import { connect } from '../../src/db/driver.ts';
import { onPostgres, serverUrl, TEMPLATE_DB } from './db.ts';

export async function setup(): Promise<void> {
  if (!onPostgres) return;
  const admin = postgres(serverUrl('postgres'), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  const driver = await connect({ databaseUrl: serverUrl(TEMPLATE_DB), poolSize: 1 });
  await driver.close();
}

export async function teardown(): Promise<void> {
  if (!onPostgres) return;
  const admin = postgres(serverUrl('postgres'), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
