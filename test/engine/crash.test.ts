import { describe, expect, test } from 'vitest';
import { onPostgres, testDatabase } from '../support/db.ts';
import { testFirebreak } from '../support/engine.ts';
import {
  createSideEffectsTableSql,
  type SideEffectRow,
  selectSideEffectsSql,
  sideEffectRunbook,
} from '../support/side-effects.ts';
import { until } from '../support/until.ts';
import { WorkerChild } from '../support/worker-child.ts';

const lease = { leaseMs: 1_500, heartbeatMs: 300, pollMs: 200 };

// This process only creates runs; worker processes execute them.
const enqueueOnly = sideEffectRunbook(async () => {
  throw new Error('the test process does not work');
});

describe.skipIf(!onPostgres)('a worker killed in the middle of a step', () => {
  test('committed steps never run again; the interrupted step runs again with the same key', async () => {
    await using db = await testDatabase();
    await using fb = await testFirebreak([enqueueOnly], { db, work: false });
    await fb.store.driver.query(createSideEffectsTableSql);
    const databaseUrl = db.databaseUrl!;

    await using a = await WorkerChild.start({
      databaseUrl,
      workerId: 'worker-a',
      blockStep: 'two',
      ...lease,
    });
    const { runId } = await fb.start('side-effects', { i: 1 });
    await a.waitFor((l) => l.event === 'step.blocked' && l.runId === runId && l.step === 'two');
    // step.started is a lazy progress marker (it rides with the next group commit): wait until it is
    // durable, so the attempt numbers below do not depend on how fast the kill comes.
    const before = await until(async () => {
      const view = (await fb.view(runId))!;
      return view.steps.find((s) => s.stepKey === 'two')?.status === 'running' ? view : null;
    });
    expect(before.steps.map((s) => [s.stepKey, s.status, s.attempt])).toEqual([
      ['one', 'succeeded', 1],
      ['two', 'running', 1],
    ]);
    expect(before.run).toMatchObject({ status: 'running', leaseOwner: 'worker-a', claims: 1 });

    await a.kill();
    await using b = await WorkerChild.start({ databaseUrl, workerId: 'worker-b', ...lease });
    const claimed = await b.waitFor((l) => l.event === 'run.claimed' && l.runId === runId, 10_000);
    expect(claimed.takeover).toBe(true);
    const run = await fb.result(runId, { timeoutMs: 15_000 });
    expect(run.status).toBe('succeeded');
    expect(run.output).toMatchObject({ one: { pid: a.pid }, two: { pid: b.pid }, three: { pid: b.pid } });

    const effects = (
      await fb.store.driver.query<SideEffectRow & Record<string, unknown>>(selectSideEffectsSql)
    )
      .filter((e) => e.runId === runId)
      .map((e) => [e.step, e.pid, e.idempotencyKey]);
    // Step two ran on A (killed while running) and again on B, with the same key; one and three once.
    expect(effects).toEqual([
      ['one', a.pid, `${runId}:one`],
      ['two', a.pid, `${runId}:two`],
      ['two', b.pid, `${runId}:two`],
      ['three', b.pid, `${runId}:three`],
    ]);

    const view = await fb.view(runId);
    expect(view!.steps.map((s) => [s.stepKey, s.status, s.attempt])).toEqual([
      ['one', 'succeeded', 1],
      ['two', 'succeeded', 2],
      ['three', 'succeeded', 1],
    ]);
    // Only finished attempts are recorded: A's attempt of step two never finished.
    expect(view!.attempts.map((t) => [t.stepKey, t.attempt, t.status])).toEqual([
      ['one', 1, 'succeeded'],
      ['two', 2, 'succeeded'],
      ['three', 1, 'succeeded'],
    ]);
    const started = view!.events.filter((e) => e.type === 'step.started').map((e) => e.stepKey);
    expect(started).toEqual(['one', 'two', 'two', 'three']);
  });
});
