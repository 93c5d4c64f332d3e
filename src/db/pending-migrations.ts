// Whether drizzle/ holds a migration the database has not applied, answered with two cheap queries so
// that a start with nothing to apply never loads drizzle-orm's migrator (over a hundred modules, a good
// part of a restart's time). The rule is drizzle's own: a migration is applied when its journal time is
// later than the newest `created_at` in drizzle.__drizzle_migrations.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Queryable } from './driver.ts';
import { migrationsFolder } from './migrations-folder.ts';

let newest: number | undefined;

function newestMigration(): number {
  if (newest === undefined) {
    const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as {
      entries: { when: number }[];
    };
    newest = Math.max(0, ...journal.entries.map((e) => e.when));
  }
  return newest;
}

export async function migrationsPending(db: Queryable): Promise<boolean> {
  const [table] = await db.query<{ present: boolean }>(
    `select to_regclass('drizzle.__drizzle_migrations') is not null as present`,
  );
  if (!table?.present) return true;
  const [row] = await db.query<{ at: string | null }>(
    'select max(created_at)::text as at from drizzle.__drizzle_migrations',
  );
  return row?.at == null || Number(row.at) < newestMigration();
}
