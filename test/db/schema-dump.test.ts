// drizzle/schema.sql is the schema every migration together makes, checked in so that what is live is
// read in one place. It must be what a migrated database really has, on PostgreSQL and PGlite alike.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, type SqlDriver } from '../../src/db/driver.ts';
import { migrationsFolder } from '../../src/db/migrations-folder.ts';
import { dumpSchema } from '../../src/db/schema-dump.ts';
import { connectOptionsOf, type TestDatabase, testDatabase } from '../support/db.ts';
import { lineDiff } from './line-diff.ts';

describe('drizzle/schema.sql', () => {
  let db: TestDatabase;
  let driver: SqlDriver;
  beforeAll(async () => {
    db = await testDatabase();
    driver = await connect(connectOptionsOf(db));
  });
  afterAll(async () => {
    await driver?.close();
    await db?.drop();
  });

  test('is the schema of the migrated database', async () => {
    const checkedIn = readFileSync(join(migrationsFolder, 'schema.sql'), 'utf8');
    const live = await dumpSchema(driver);
    const same = live === checkedIn;
    expect(
      same,
      same
        ? ''
        : `drizzle/schema.sql is not the migrated schema (- file, + database). Run \`npm run db:dump\`.\n\n` +
            lineDiff(checkedIn, live),
    ).toBe(true);
  });

  test('holds the tables, functions and triggers', () => {
    const text = readFileSync(join(migrationsFolder, 'schema.sql'), 'utf8');
    expect(text).toContain('CREATE TABLE runs (');
    expect(text).toContain('CREATE OR REPLACE FUNCTION public.firebreak_apply_transitions(');
    expect(text).toContain('CREATE TRIGGER events_append_only');
  });
});
