// A firebreak instance for one test, on the test's own database, with fast polling so nothing waits long.
import type { AnyRunbook } from '../../src/dsl/runbook.ts';
import { createFirebreak, type Firebreak, type FirebreakOptions } from '../../src/firebreak.ts';
import { type TestDatabase, testDatabase } from './db.ts';

export interface TestFirebreak extends Firebreak {
  db: TestDatabase;
}

export async function testFirebreak(
  runbooks: readonly AnyRunbook[],
  opts: Omit<FirebreakOptions, 'runbooks'> & { db?: TestDatabase } = {},
): Promise<TestFirebreak> {
  const db = opts.db ?? (await testDatabase());
  const fb = await createFirebreak({
    databaseUrl: db.databaseUrl,
    dataDir: db.dataDir,
    poolSize: 4,
    ...opts,
    runbooks,
    engine: { pollIntervalMs: 100, heartbeatMs: 200, leaseMs: 2_000, ...opts.engine },
  });
  const close = fb.close;
  const ownDb = !opts.db;
  const closeAll = async () => {
    await close();
    if (ownDb) await db.drop();
  };
  return { ...fb, db, close: closeAll, [Symbol.asyncDispose]: closeAll };
}
