import { describe, expect, test } from 'vitest';
import { onPostgres, testDatabase } from '../support/db.ts';
import { testFirebreak } from '../support/engine.ts';
import { createSideEffectsTableSql, sideEffectRunbook } from '../support/side-effects.ts';
import { until } from '../support/until.ts';
import { WorkerChild } from '../support/worker-child.ts';

const RUNS = 500;
// Leases long enough that a loaded CI box (two CPUs, other suites beside this one) never loses one: this
// test is about sharing work exactly once, lease takeover has tests of its own.
const lease = { leaseMs: 5_000, heartbeatMs: 500, pollMs: 200 };

const enqueueOnly = sideEffectRunbook(async () => {
  throw new Error('the test process does not work');
});

describe.skipIf(!onPostgres)('many worker processes on one database', () => {
  test(`3 workers share ${RUNS} runs; every step is committed exactly once`, async () => {
    await using db = await testDatabase();
    await using fb = await testFirebreak([enqueueOnly], { db, work: false });
    const q = <T extends Record<string, unknown>>(text: string) => fb.store.driver.query<T>(text);
    await q(createSideEffectsTableSql);
    const databaseUrl = db.databaseUrl!;

    // No worker may hold everything at once, so the three have to share.
    const start = (workerId: string) => WorkerChild.start({ databaseUrl, workerId, maxRuns: 100, ...lease });
    await using w1 = await start('worker-1');
    await using w2 = await start('worker-2');
    await using w3 = await start('worker-3');
    const workers = [w1, w2, w3];

    const started = await Promise.all(
      Array.from({ length: RUNS }, (_, i) => fb.start('side-effects', { i })),
    );
    expect(new Set(started.map((s) => s.runId)).size).toBe(RUNS);
    await until(async () => {
      const [row] = await q<{ n: number }>(`select count(*)::int as n from runs where status = 'succeeded'`);
      return row!.n === RUNS ? true : null;
    }, 45_000);

    const [counts] = await q<Record<string, number>>(`
      select (select count(*) from runs)::int as runs,
             (select count(*) from runs where status = 'succeeded' and claims = 1)::int as claimed_once,
             (select count(*) from side_effects)::int as effects,
             (select count(*) from (select distinct run_id, step from side_effects) d)::int as distinct_effects,
             (select count(*) from steps where status = 'succeeded' and attempt = 1)::int as steps_once,
             (select count(*) from steps)::int as steps,
             (select count(*) from step_attempts where status = 'succeeded' and attempt = 1)::int as attempts,
             (select count(*) from (select distinct run_id, step_key from step_attempts) d)::int
               as distinct_attempts`);
    expect(counts).toEqual({
      runs: RUNS,
      claimed_once: RUNS,
      effects: RUNS * 3,
      distinct_effects: RUNS * 3,
      steps_once: RUNS * 3,
      steps: RUNS * 3,
      attempts: RUNS * 3,
      distinct_attempts: RUNS * 3,
    });

    // Each step ran in exactly one process, and all three processes took a share.
    const byPid = await q<{ pid: number; runs: number; mixed: number }>(`
      select pid, count(distinct run_id)::int as runs,
        (select count(*) from (select run_id from side_effects group by run_id
                               having count(distinct pid) > 1) m)::int as mixed
      from side_effects group by pid`);
    expect(byPid.map((r) => r.pid).sort()).toEqual(workers.map((w) => w.pid).sort());
    expect(byPid.every((r) => r.runs > 0 && r.mixed === 0)).toBe(true);
    expect(byPid.reduce((sum, r) => sum + r.runs, 0)).toBe(RUNS);
    // No run was taken over: nobody lost a lease under load.
    expect(
      workers.flatMap((w) => w.matching((l) => l.event === 'run.claimed' && l.takeover === true)),
    ).toEqual([]);
  });
});
