// Before any test: build dist/ if a source changed since the last build (tests that spawn
// `bin/firebreak.js`, and the PGlite snapshot every in-memory database loads, come from it). On
// PostgreSQL, migrate a template database once; each test then copies it (fast, and isolated).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { connect } from '../../src/db/driver.ts';
import { directUrlFor, onPostgres, serverUrl, TEMPLATE_DB } from './db.ts';

export async function setup(): Promise<void> {
  buildIfStale();
  if (!onPostgres) return;
  const admin = postgres(serverUrl('postgres'), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  // Behind a pooler the template is migrated over the direct connection: a pooled server connection
  // left open to it would stop CREATE DATABASE … TEMPLATE from copying it.
  const driver = await connect({
    databaseUrl: serverUrl(TEMPLATE_DB),
    listenUrl: directUrlFor(serverUrl(TEMPLATE_DB)),
    poolSize: 1,
    migrate: true,
  });
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

function buildIfStale(): void {
  // test/security/plant-faults.ts plants faults in src/ of a scratch copy whose dist/ is the checkout's.
  if (process.env.FIREBREAK_TEST_SKIP_BUILD === '1') return;
  const script = fileURLToPath(new URL('../../scripts/build.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script, '--if-stale'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed: the tests need dist/ (see the output above)');
}
