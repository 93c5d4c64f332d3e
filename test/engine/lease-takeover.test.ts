import { describe, expect, test } from 'vitest';
import { LeaseLostError } from '../../src/core/errors.ts';
import { createFirebreak } from '../../src/firebreak.ts';
import type { Transition } from '../../src/store/store.ts';
import { onPostgres, testDatabase } from '../support/db.ts';
import { deferred, testFirebreak, untilAborted } from '../support/engine.ts';
import {
  createSideEffectsTableSql,
  type SideEffectStep,
  sideEffectRunbook,
} from '../support/side-effects.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { until } from '../support/until.ts';
import { WorkerChild } from '../support/worker-child.ts';

const LEASE_MS = 1_500;
const engineTimings = { leaseMs: LEASE_MS, heartbeatMs: 300, pollIntervalMs: 200 };
const TAKEOVER_WITHIN_MS = 5_000;

describe.skipIf(!onPostgres)('lease takeover', () => {
  test('a worker that stops heartbeating loses its run to another, and its stale writes are refused', async () => {
    await using db = await testDatabase();
    // Engine B lives in this process; it does step two only when the test opens the gate.
    const ranOnB: SideEffectStep[] = [];
    const gate = deferred();
    const rbB = sideEffectRunbook(async (step) => {
      ranOnB.push(step);
      if (step === 'two') await gate.promise;
      return { step, pid: process.pid };
    });
    await using fb = await testFirebreak([rbB], {
      db,
      work: false,
      engine: { ...engineTimings, workerId: 'engine-b' },
    });
    await fb.store.driver.query(createSideEffectsTableSql);

    // Engine A is a worker process, holding the run in the middle of step two.
    await using a = await WorkerChild.start({
      databaseUrl: db.databaseUrl!,
      workerId: 'worker-a',
      blockStep: 'two',
      leaseMs: LEASE_MS,
      heartbeatMs: 300,
      pollMs: 200,
    });
    const { runId } = await fb.start('side-effects', { i: 1 });
    await a.waitFor((l) => l.event === 'step.blocked' && l.runId === runId);
    const held = await until(async () => {
      const run = (await fb.store.getRun(runId))!;
      return run.leaseOwner === 'worker-a' ? run : null;
    });
    const staleLease = { owner: 'worker-a', epoch: held.claims };

    // B works from now on, but cannot claim a run whose lease A keeps alive. Then A stops heartbeating.
    const claimed = fb.engine.events.waitFor('run.claimed', (e) => e.runId === runId, 15_000);
    const bInTwo = fb.engine.events.waitFor('step.started', (e) => e.runId === runId && e.step === 'two');
    await fb.engine.work();
    const killedAt = Date.now();
    await a.kill();
    expect(await claimed).toEqual({ runId, takeover: true });
    expect(Date.now() - killedAt).toBeLessThan(TAKEOVER_WITHIN_MS);
    await bInTwo;
    const current = (await fb.store.getRun(runId))!;
    expect(current).toMatchObject({
      status: 'running',
      leaseOwner: 'engine-b',
      claims: staleLease.epoch + 1,
    });

    // Fencing: a write under A's lease is refused, and so is one naming B at A's (older) epoch.
    const stale: Transition = {
      runId,
      incidentId: null,
      steps: [
        {
          stepKey: 'two',
          kind: 'diagnostic',
          status: 'succeeded',
          attempt: 1,
          output: { stale: true },
          idempotencyKey: `${runId}:two`,
        },
      ],
      events: [{ type: 'step.succeeded', stepKey: 'two', data: { stale: true }, at: new Date() }],
      run: { status: 'succeeded', finishedAt: new Date(), releaseLease: true },
    };
    await expect(fb.store.commit(staleLease, stale)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(
      fb.store.commit({ owner: 'engine-b', epoch: staleLease.epoch }, stale),
    ).rejects.toBeInstanceOf(LeaseLostError);
    const untouched = (await fb.view(runId))!;
    expect(untouched.run).toMatchObject({ status: 'running', leaseOwner: 'engine-b' });
    expect(untouched.steps.find((s) => s.stepKey === 'two')).toMatchObject({
      status: 'running',
      output: null,
    });
    expect(untouched.events.some((e) => (e.data as { stale?: boolean } | null)?.stale)).toBe(false);

    gate.resolve();
    const run = await fb.result(runId, { timeoutMs: 10_000 });
    expect(run.status).toBe('succeeded');
    expect(run.output).toMatchObject({
      one: { pid: a.pid },
      two: { pid: process.pid },
      three: { pid: process.pid },
    });
    // B started from A's committed step one and never ran it again.
    expect(ranOnB).toEqual(['two', 'three']);
  });

  test('a worker cut off from the database stops its steps before another worker takes over', async () => {
    await using db = await testDatabase();
    await using proxy = await TcpProxy.start({
      host: '127.0.0.1',
      port: Number(new URL(db.databaseUrl!).port),
    });

    // Both engines live in this process: "pid" 0 marks a step done by A, 1 one done by B.
    const seen: { abortedOnA?: number; twoStartedOnB?: number } = {};
    const rbA = sideEffectRunbook(async (step, ctx) => {
      if (step === 'two') {
        await untilAborted(ctx.signal);
        seen.abortedOnA = Date.now();
        throw ctx.signal.reason;
      }
      return { step, pid: 0 };
    });
    const rbB = sideEffectRunbook(async (step) => {
      if (step === 'two') seen.twoStartedOnB = Date.now();
      return { step, pid: 1 };
    });

    const a = await createFirebreak({
      databaseUrl: proxy.urlFor(db.databaseUrl!),
      listenUrl: db.listenUrl,
      poolMode: db.poolMode,
      poolSize: 2,
      runbooks: [rbA],
      engine: { ...engineTimings, workerId: 'engine-a' },
    });
    // A's queries hang once cut off, so its connections are dropped before it is closed.
    await using _a = {
      async [Symbol.asyncDispose]() {
        await proxy.close();
        await a.close();
      },
    };
    await using b = await testFirebreak([rbB], {
      db,
      work: false,
      engine: { ...engineTimings, workerId: 'engine-b' },
    });

    const aInTwo = a.engine.events.waitFor('step.started', (e) => e.step === 'two');
    const { runId } = await a.start('side-effects', { i: 1 });
    await aInTwo;
    await until(async () => {
      const steps = await b.store.getSteps(runId);
      return steps.some((s) => s.stepKey === 'two' && s.status === 'running') ? true : null;
    });

    const claimed = b.engine.events.waitFor('run.claimed', (e) => e.runId === runId, 15_000);
    await b.engine.work();
    const cutAt = Date.now();
    proxy.partition();
    expect(await claimed).toEqual({ runId, takeover: true });
    expect(Date.now() - cutAt).toBeLessThan(TAKEOVER_WITHIN_MS);
    const run = await b.result(runId, { timeoutMs: 10_000 });
    expect(run.status).toBe('succeeded');
    expect(run.output).toMatchObject({ two: { pid: 1 } });

    // A never heard back from the database, yet stopped its step before its lease could run out, so
    // the step never ran on both workers at once.
    const { abortedOnA, twoStartedOnB } = seen;
    expect(abortedOnA).toBeDefined();
    expect(twoStartedOnB).toBeDefined();
    expect(abortedOnA!).toBeLessThanOrEqual(twoStartedOnB!);
    expect(abortedOnA! - cutAt).toBeLessThan(TAKEOVER_WITHIN_MS);
  });

  test('a stopping worker keeps its leases while its runs finish, then hands the rest over at once', async () => {
    await using db = await testDatabase();
    // Run 1 finishes step two when the test opens the gate; run 2 never does on A.
    const gate = deferred();
    const rbA = sideEffectRunbook(async (step, ctx) => {
      if (step === 'two' && ctx.input.i === 1) await gate.promise;
      if (step === 'two' && ctx.input.i === 2) throw await untilAborted(ctx.signal);
      return { step, pid: 0 };
    });
    const rbB = sideEffectRunbook(async (step) => ({ step, pid: 1 }));
    await using a = await testFirebreak([rbA], { db, engine: { ...engineTimings, workerId: 'engine-a' } });
    await using b = await testFirebreak([rbB], { db, engine: { ...engineTimings, workerId: 'engine-b' } });
    const claimsOnB: { runId: string; takeover: boolean }[] = [];
    b.engine.events.on('run.claimed', (e) => claimsOnB.push(e));

    const inTwo = new Set<string>();
    a.engine.events.on('step.started', (e) => e.step === 'two' && inTwo.add(e.runId));
    const finishing = (await a.start('side-effects', { i: 1 })).runId;
    const unfinished = (await a.start('side-effects', { i: 2 })).runId;
    await until(async () => (inTwo.size === 2 ? true : null));

    const leaseAtStop = (await a.store.getRun(finishing))!.leaseExpiresAt!.getTime();
    const stopped = a.engine.stop({ graceMs: 2 * LEASE_MS });
    // Heartbeats go on during the grace period: the lease keeps moving instead of running out under
    // the finishing step (two renewals past the one at stop()).
    await until(async () => {
      const run = (await b.store.getRun(finishing))!;
      const renewedBy = (run.leaseExpiresAt?.getTime() ?? 0) - leaseAtStop;
      return run.leaseOwner === 'engine-a' && renewedBy >= 2 * engineTimings.heartbeatMs ? true : null;
    }, 2 * LEASE_MS);
    gate.resolve();
    await stopped;

    expect(await b.result(finishing)).toMatchObject({ status: 'succeeded', output: { two: { pid: 0 } } });
    // The run still in step two when the grace ran out was released, not left to expire.
    const handedOver = await b.result(unfinished, { timeoutMs: 10_000 });
    expect(handedOver).toMatchObject({ status: 'succeeded', output: { one: { pid: 0 }, two: { pid: 1 } } });
    expect(claimsOnB).toEqual([{ runId: unfinished, takeover: false }]);
  });
});
