// A new PGlite database starts from the build's migrated snapshot instead of initdb and every
// migration. On disk the snapshot's files are written into the empty data directory (PG_VERSION last,
// a marker while it is incomplete), never into a directory that holds something else.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { connect, migrationsFolder } from '../../src/db/driver.ts';
import { migrationsPending } from '../../src/db/pending-migrations.ts';
import { migratedSnapshot, writeMigratedSnapshot } from '../../src/db/pglite-snapshot.ts';
import { onPostgres } from '../support/db.ts';

const root = mkdtempSync(join(tmpdir(), 'firebreak-snapshot-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as {
  entries: unknown[];
};

async function appliedMigrations(dataDir: string): Promise<number> {
  const driver = await connect({ dataDir, migrate: false });
  try {
    const [row] = await driver.query<{ n: number }>(
      'select count(*)::int as n from drizzle.__drizzle_migrations',
    );
    return row!.n;
  } finally {
    await driver.close();
  }
}

async function systemIdentifier(dataDir: string): Promise<string> {
  const driver = await connect({ dataDir, migrate: false });
  try {
    const [row] = await driver.query<{ id: string }>(
      'select system_identifier::text as id from pg_control_system()',
    );
    return row!.id;
  } finally {
    await driver.close();
  }
}

// PGlite only: the PostgreSQL pass of CI would run the same PGlite code again.
describe.skipIf(onPostgres)('the migrated PGlite snapshot', () => {
  test('the build made one for the migrations in drizzle/', () => {
    expect(migratedSnapshot()).toBeInstanceOf(Blob);
  });

  test('an empty data directory becomes a migrated database without initdb', async () => {
    const dir = join(root, 'fresh');
    mkdirSync(dir);
    expect(writeMigratedSnapshot(dir)).toBe(true);
    expect(readFileSync(join(dir, 'PG_VERSION'), 'utf8').trim()).toMatch(/^\d+$/);
    expect(await appliedMigrations(dir)).toBe(journal.entries.length);
  });

  test('a half-written snapshot (marker left by a crash) is written again; a foreign folder is left alone', () => {
    const half = join(root, 'half');
    mkdirSync(join(half, 'base'), { recursive: true });
    writeFileSync(join(half, '.firebreak-snapshot-incomplete'), '');
    expect(writeMigratedSnapshot(half)).toBe(true);
    expect(() => readFileSync(join(half, '.firebreak-snapshot-incomplete'))).toThrow(/ENOENT/);

    const foreign = join(root, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    expect(writeMigratedSnapshot(foreign)).toBe(false);
    expect(() => readFileSync(join(foreign, 'PG_VERSION'))).toThrow(/ENOENT/);
  });

  test('connect() on a new directory opens the snapshot; an in-memory database loads it too', async () => {
    const dir = join(root, 'connected');
    const driver = await connect({ dataDir: dir });
    await driver.close();
    expect(await appliedMigrations(dir)).toBe(journal.entries.length);
    // initdb gives every cluster a new system identifier; a database made from the snapshot has the
    // snapshot's. connect() holds the directory's lock file before it writes: the snapshot must still be
    // taken (it was not, and every first start ran initdb and every migration: seconds).
    const made = join(root, 'made-from-snapshot');
    mkdirSync(made);
    expect(writeMigratedSnapshot(made)).toBe(true);
    expect(await systemIdentifier(dir)).toBe(await systemIdentifier(made));
    const memory = await connect({ dataDir: 'memory://' });
    try {
      const [row] = await memory.query<{ n: number }>(
        'select count(*)::int as n from drizzle.__drizzle_migrations',
      );
      expect(row!.n).toBe(journal.entries.length);
      // Nothing left to apply: a start does not load drizzle's migrator.
      expect(await migrationsPending(memory)).toBe(false);
      await memory.query(
        'delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)',
      );
      expect(await migrationsPending(memory)).toBe(true);
      // No migrations table at all (a database never migrated): everything is pending.
      await memory.query('drop table drizzle.__drizzle_migrations');
      expect(await migrationsPending(memory)).toBe(true);
    } finally {
      await memory.close();
    }
  });
});
