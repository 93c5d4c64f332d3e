// Each PL/pgSQL function's current text lives in src/db/functions/<name>.sql; the migrations must define
// exactly that. A file edited without a migration (or a migration that changed a function without its
// file) fails here, on PostgreSQL and PGlite alike.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, type SqlDriver } from '../../src/db/driver.ts';
import {
  changedFunctions,
  databaseFunctions,
  functionDefinition,
  readFunctionFiles,
} from '../../src/db/sql-functions.ts';
import { connectOptionsOf, type TestDatabase, testDatabase } from '../support/db.ts';
import { lineDiff } from './line-diff.ts';

describe('src/db/functions holds the functions the migrations define', () => {
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

  test('every function of the migrated database has its file, and every file its function', async () => {
    const files = readFunctionFiles().map((f) => f.name);
    expect(files.length).toBeGreaterThan(0);
    expect(await databaseFunctions(driver)).toEqual(files);
  });

  test('no file differs from its function in the migrated database', async () => {
    const changes = await changedFunctions(driver);
    const report = changes
      .map((c) => `${c.name}:\n${lineDiff(c.current ?? '(no such function)', c.wanted)}`)
      .join('\n\n');
    expect(
      changes.map((c) => c.name),
      `src/db/functions/ and the migrations disagree (- migrated database, + file).\n` +
        `Run \`npm run db:functions\` to write the migration.\n\n${report}`,
    ).toEqual([]);
  });

  test('an edited file is found, and the check leaves the database as it was', async () => {
    const file = readFunctionFiles().find((f) => f.name === 'firebreak_is_audit_event')!;
    const edited = { ...file, sql: file.sql.replace(/\n\$\$;\s*$/, '\n  -- edited\n$$$$;\n') };
    expect(edited.sql).not.toBe(file.sql);
    const before = await functionDefinition(driver, file.name);
    const changes = await changedFunctions(driver, [edited]);
    expect(changes.map((c) => [c.name, c.current])).toEqual([[file.name, before]]);
    expect(changes[0]!.wanted).toContain('-- edited');
    expect(await functionDefinition(driver, file.name)).toBe(before);
  });
});
