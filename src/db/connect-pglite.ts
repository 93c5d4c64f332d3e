// PGlite, the embedded database: one process per data directory (data-dir-lock.ts), a new database
// made from the build's migrated snapshot, commits made durable (durable-pglite.ts). Loaded by driver.ts
// only when no DATABASE_URL is set.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { lockDataDir } from './data-dir-lock.ts';
import type { MigratingDriver, Row } from './driver.ts';
import { durablePglite } from './durable-pglite.ts';
import { migrationsFolder } from './migrations-folder.ts';
import { migrationsPending } from './pending-migrations.ts';
import { pgliteInitDbParams, pgliteStartParams } from './pglite-settings.ts';
import { migratedSnapshot, writeMigratedSnapshot } from './pglite-snapshot.ts';

export async function connectPglite(dataDir: string, migrated: boolean): Promise<MigratingDriver> {
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
    wakeups: 'notify',
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
