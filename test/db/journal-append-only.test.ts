// The event journal is append-only in the database itself (drizzle/0001): no release, however buggy,
// rewrites history.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, type SqlDriver } from '../../src/db/driver.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';

describe('the events table is append-only', () => {
  let db: TestDatabase;
  let driver: SqlDriver;
  beforeAll(async () => {
    db = await testDatabase();
    driver = await connect({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
    await driver.query(
      `insert into events (type, data, at) values ('alert.received', '{"n":1}', now()), ('run.created', null, now())`,
    );
  });
  afterAll(async () => {
    await driver?.close();
    await db?.drop();
  });

  const journal = async () => driver.query('select seq, type, data from events order by seq');

  test.each([
    ['UPDATE', `update events set type = 'rewritten' where type = 'alert.received'`],
    ['DELETE', `delete from events where type = 'run.created'`],
    ['TRUNCATE', 'truncate events'],
  ])('%s is refused and changes nothing', async (op, statement) => {
    const before = await journal();
    await expect(driver.query(statement)).rejects.toThrow(`the events table is append-only: ${op} refused`);
    expect(await journal()).toEqual(before);
    expect(before).toHaveLength(2);
  });

  test('the refusal carries the insufficient_privilege code', async () => {
    await expect(driver.query('delete from events')).rejects.toMatchObject({ code: '42501' });
  });

  test('only a transaction that says it is the pruner may delete, and only delete', async () => {
    const before = await journal();
    await driver.query(`insert into events (type, at) values ('past retention', now())`);
    // What firebreak_prune_runs does first; a transaction that does not say so is refused (above).
    const asPruner = (statement: string) =>
      driver.transaction(async (tx) => {
        await tx.query(`select set_config('firebreak.pruning', 'on', true)`);
        await tx.query(statement);
      });
    await expect(asPruner(`update events set type = 'rewritten'`)).rejects.toThrow(
      'the events table is append-only: UPDATE refused',
    );
    await asPruner(`delete from events where type = 'past retention'`);
    expect(await journal()).toEqual(before);
    // The setting lasted for that transaction only.
    await expect(driver.query(`delete from events`)).rejects.toThrow('append-only: DELETE refused');
    expect(await journal()).toEqual(before);
  });

  test('appending still works', async () => {
    await driver.query(`insert into events (type, at) values ('note', now())`);
    expect((await journal()).map((e) => e.type)).toEqual(['alert.received', 'run.created', 'note']);
  });
});
