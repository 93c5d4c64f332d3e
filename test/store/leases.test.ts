// The `leases` table on the test's database (PGlite by default, PostgreSQL with DATABASE_URL).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, type SqlDriver } from '../../src/db/driver.ts';
import { Leases } from '../../src/store/leases.ts';
import { onPostgres, type TestDatabase, testDatabase } from '../support/db.ts';

let db: TestDatabase;
let driver: SqlDriver;
let second: SqlDriver | null = null;

beforeAll(async () => {
  db = await testDatabase();
  driver = await connect({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, poolSize: 4 });
  // Two holders in two "replicas": a second pool on PostgreSQL (PGlite is one process).
  if (onPostgres) second = await connect({ databaseUrl: db.databaseUrl, poolSize: 4, migrate: false });
});

afterAll(async () => {
  await second?.close();
  await driver.close();
  await db.drop();
});

const t0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

describe('leases', () => {
  test('one holder at a time; renewed by its holder; taken over once expired, and the old holder is fenced', async () => {
    const a = new Leases(driver);
    const b = new Leases(second ?? driver);
    const ha = await a.acquire('job-1', 'replica-a', 10_000, at(0));
    expect(ha).toMatchObject({ generation: 1, takenOverFrom: null, state: {} });
    expect(await b.acquire('job-1', 'replica-b', 10_000, at(1_000))).toBeNull();
    expect(await a.renew(ha!, 10_000, at(5_000), { resourceVersions: { pods: '42' } })).toBe(true);
    expect(await b.acquire('job-1', 'replica-b', 10_000, at(14_000))).toBeNull();
    const hb = await b.acquire('job-1', 'replica-b', 10_000, at(15_001));
    expect(hb).toMatchObject({
      generation: 2,
      takenOverFrom: 'replica-a',
      state: { resourceVersions: { pods: '42' } },
    });
    // replica-a was paused past its lease: its renewal and its state no longer count.
    expect(await a.renew(ha!, 10_000, at(15_002), { resourceVersions: { pods: '1' } })).toBe(false);
    expect(await b.renew(hb!, 10_000, at(16_000), { resourceVersions: { pods: '43' } })).toBe(true);
    await b.release(hb!, at(17_000));
    const again = await a.acquire('job-1', 'replica-a', 10_000, at(17_000));
    expect(again).toMatchObject({
      generation: 3,
      takenOverFrom: 'replica-b',
      state: { resourceVersions: { pods: '43' } },
    });
  });

  test('holders racing for a free lease end with exactly one', async () => {
    const pools = [driver, second ?? driver];
    const tries = Array.from({ length: 10 }, (_, i) =>
      new Leases(pools[i % 2]!).acquire('job-race', `replica-${i}`, 10_000, at(0)),
    );
    const won = (await Promise.all(tries)).filter((h) => h !== null);
    expect(won).toHaveLength(1);
  });
});
