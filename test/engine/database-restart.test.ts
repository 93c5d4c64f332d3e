import { describe, expect, test } from 'vitest';
import { jsonLogger } from '../../src/core/logger.ts';
import { createFirebreak, type Firebreak } from '../../src/firebreak.ts';
import { runbook, z } from '../../src/index.ts';
import { onPostgres } from '../support/db.ts';
import { deferred, untilAborted } from '../support/engine.ts';
import { PrivatePostgres } from '../support/private-postgres.ts';
import { until } from '../support/until.ts';

const RUNS = 5;
const RECOVERY_MS = 5_000;

/** Step two waits for the test's gate; every call of every step is recorded, and so is an abort. */
function gatedRunbook() {
  const calls: string[] = [];
  const aborted: string[] = [];
  const gate = deferred();
  const rb = runbook({
    id: 'gated',
    title: 'Waits for the test in step two',
    input: z.object({ i: z.number() }),
  })
    .diagnostic('one', async ({ run }) => {
      calls.push(`${run.id}:one`);
      return 1;
    })
    .diagnostic('two', async ({ run, idempotencyKey, signal }) => {
      calls.push(idempotencyKey);
      const stop = untilAborted(signal).then((reason) => {
        aborted.push(run.id);
        throw reason;
      });
      await Promise.race([gate.promise, stop]);
      return 2;
    })
    .diagnostic('three', async ({ run }) => {
      calls.push(`${run.id}:three`);
      return 3;
    });
  return { rb, calls, aborted, gate };
}

async function openOn(pg: PrivatePostgres, rb: ReturnType<typeof gatedRunbook>['rb'], leaseMs: number) {
  const logs: string[] = [];
  const fb = await createFirebreak({
    databaseUrl: pg.url,
    poolSize: 4,
    runbooks: [rb],
    logger: jsonLogger('warn', {}, (line) => logs.push(line)),
    engine: { leaseMs, heartbeatMs: 200, pollIntervalMs: 200 },
  });
  return { fb, logs };
}

/** Starts the runs and returns once each is in step two, with that step's start durable. */
async function startAll(fb: Firebreak): Promise<string[]> {
  const inTwo = new Set<string>();
  const off = fb.engine.events.on('step.started', (e) => {
    if (e.step === 'two') inTwo.add(e.runId);
  });
  const ids = await Promise.all(
    Array.from({ length: RUNS }, async (_, i) => (await fb.start('gated', { i })).runId),
  );
  await until(async () => (inTwo.size === RUNS ? true : null));
  off();
  // step.started is a lazy marker: wait until it is written, so attempt numbers are deterministic.
  await until(async () => {
    const steps = await Promise.all(ids.map((id) => fb.store.getSteps(id)));
    return steps.every((s) => s.some((st) => st.stepKey === 'two' && st.status === 'running')) ? true : null;
  });
  return ids;
}

/** Each step committed once per run: one step row at `attempt`, one finished attempt row. */
async function expectCommittedOnce(fb: Firebreak, ids: string[], twoAttempt: number) {
  for (const id of ids) {
    const view = (await fb.view(id))!;
    expect(view.run.status).toBe('succeeded');
    expect(view.steps.map((s) => [s.stepKey, s.status, s.attempt])).toEqual([
      ['one', 'succeeded', 1],
      ['two', 'succeeded', twoAttempt],
      ['three', 'succeeded', 1],
    ]);
    expect(view.attempts.map((a) => [a.stepKey, a.attempt, a.status])).toEqual([
      ['one', 1, 'succeeded'],
      ['two', twoAttempt, 'succeeded'],
      ['three', 1, 'succeeded'],
    ]);
  }
}

describe.skipIf(!onPostgres)('the database restarts under running runs', () => {
  test('an outage shorter than the lease: finished steps commit once the server is back', async () => {
    await using pg = await PrivatePostgres.create();
    const { rb, calls, aborted, gate } = gatedRunbook();
    const { fb, logs } = await openOn(pg, rb, 15_000);
    await using _fb = fb;
    const ids = await startAll(fb);

    await pg.stop('fast');
    // Step two finishes while the server is down: its commit fails and is retried.
    gate.resolve();
    await until(async () => (logs.some((l) => l.includes('commit failed; retrying')) ? true : null));
    await pg.start();

    const back = Date.now();
    const runs = await Promise.all(ids.map((id) => fb.result(id, { timeoutMs: 30_000 })));
    expect(runs.map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));
    // Within seconds of the server being back (the driver must not sit out a long reconnect backoff).
    expect(Date.now() - back).toBeLessThan(RECOVERY_MS);
    expect(aborted).toEqual([]);
    // Every step function ran exactly once per run.
    expect(calls.sort()).toEqual(ids.flatMap((id) => [`${id}:one`, `${id}:two`, `${id}:three`]).sort());
    await expectCommittedOnce(fb, ids, 1);
  });

  test('an outage longer than the lease: runs stop, then resume on the same worker', async () => {
    await using pg = await PrivatePostgres.create();
    const { rb, calls, aborted, gate } = gatedRunbook();
    const { fb } = await openOn(pg, rb, 3_000);
    await using _fb = fb;
    const ids = await startAll(fb);

    await pg.stop('fast');
    // Without heartbeats past the lease another worker could own the runs: the engine stops its steps.
    await until(async () => (new Set(aborted).size === RUNS ? true : null), 10_000);
    gate.resolve();
    await pg.start();

    const back = Date.now();
    const runs = await Promise.all(ids.map((id) => fb.result(id, { timeoutMs: 30_000 })));
    expect(runs.map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));
    // Within seconds of the server being back (the driver must not sit out a long reconnect backoff).
    expect(Date.now() - back).toBeLessThan(RECOVERY_MS);
    // The committed step one never ran again; the interrupted step two ran again under the same key.
    expect(calls.sort()).toEqual(
      ids.flatMap((id) => [`${id}:one`, `${id}:two`, `${id}:two`, `${id}:three`]).sort(),
    );
    await expectCommittedOnce(fb, ids, 2);
  });
});
