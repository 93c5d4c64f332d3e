// Creating runs (idempotency keys), reading them back, cancellation requests and settings.
import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { at, type Backend, heldRun, LEASE_MS, newRun, stepWrite, T0 } from './support.ts';

export function runContract(b: Backend): void {
  test('createRuns queues runs due now, in input order, each with a run.created event', async () => {
    const store = b.shared();
    const incidentId = randomUUID();
    const first = newRun({ incidentId, requestedBy: 'U1', dryRun: true, input: { service: 'api', n: 2 } });
    const second = newRun();
    expect(await store.createRuns([first, second])).toEqual([
      { id: first.id, created: true },
      { id: second.id, created: true },
    ]);
    expect(await store.getRun(first.id)).toMatchObject({
      id: first.id,
      runbookId: 'contract',
      runbookVersion: 'v1',
      plan: [{ name: 'a', kind: 'diagnostic' }],
      status: 'queued',
      input: { service: 'api', n: 2 },
      output: null,
      error: null,
      dryRun: true,
      idempotencyKey: null,
      incidentId,
      requestedBy: 'U1',
      leaseOwner: null,
      leaseExpiresAt: null,
      wakeAt: T0,
      cancelRequested: false,
      keepMitigations: false,
      claims: 0,
      createdAt: T0,
      finishedAt: null,
    });
    const events = await store.listEvents({ runId: first.id });
    expect(events.map((e) => [e.type, e.incidentId, e.at])).toEqual([['run.created', incidentId, T0]]);
  });

  test('a run created with a lease is running at epoch 1, held by its creator', async () => {
    const store = b.shared();
    const { id } = await heldRun(store, 'creator');
    expect(await store.getRun(id)).toMatchObject({
      status: 'running',
      leaseOwner: 'creator',
      leaseExpiresAt: at(LEASE_MS),
      claims: 1,
    });
  });

  test('an idempotency key that exists returns the existing run, created false', async () => {
    const store = b.shared();
    const key = `key-${randomUUID()}`;
    const runbookId = `idem-${randomUUID()}`;
    const original = newRun({ runbookId, idempotencyKey: key, input: { attempt: 'first' } });
    const repeat = newRun({ runbookId, idempotencyKey: key, input: { attempt: 'second' } });
    expect(await store.createRuns([original])).toEqual([{ id: original.id, created: true }]);
    expect(await store.createRuns([repeat])).toEqual([{ id: original.id, created: false }]);
    expect(await store.getRun(repeat.id)).toBeNull();
    expect((await store.getRun(original.id))?.input).toEqual({ attempt: 'first' });
    expect(await store.listRuns({ runbookId })).toHaveLength(1);
    expect(await store.listEvents({ runId: original.id })).toHaveLength(1);
  });

  test('concurrent creates with one idempotency key make exactly one run', async () => {
    const store = b.shared();
    const key = `key-${randomUUID()}`;
    const runbookId = `race-${randomUUID()}`;
    const workers = await b.workers(4);
    const runs = Array.from({ length: 8 }, () => newRun({ runbookId, idempotencyKey: key }));
    // Two in one call, the rest in calls racing each other.
    const results = (
      await Promise.all([
        workers[0]!.createRuns(runs.slice(0, 2)),
        ...runs.slice(2).map((r, i) => workers[i % workers.length]!.createRuns([r])),
      ])
    ).flat();
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const winner = results.find((r) => r.created)!.id;
    expect(results.every((r) => r.id === winner)).toBe(true);
    expect((await store.listRuns({ runbookId })).map((r) => r.id)).toEqual([winner]);
  });

  test('getRun returns null for an unknown id, also one that is not a uuid', async () => {
    const store = b.shared();
    expect(await store.getRun(randomUUID())).toBeNull();
    expect(await store.getRun('no-such-run')).toBeNull();
  });

  test('listRuns filters by status, runbook and incident, newest first, up to the limit', async () => {
    const store = b.shared();
    const runbookId = `list-${randomUUID()}`;
    const incidentId = randomUUID();
    const r1 = newRun({ runbookId, now: T0 });
    const r2 = newRun({ runbookId, incidentId, now: at(1_000) });
    await store.createRuns([r1, r2]);
    const r3 = await heldRun(store, 'lister', { runbookId, incidentId, now: at(2_000) });
    const ids = async (filter: Parameters<typeof store.listRuns>[0]) =>
      (await store.listRuns(filter)).map((r) => r.id);
    expect(await ids({ runbookId })).toEqual([r3.id, r2.id, r1.id]);
    expect(await ids({ runbookId, status: 'queued' })).toEqual([r2.id, r1.id]);
    expect(await ids({ incidentId })).toEqual([r3.id, r2.id]);
    expect(await ids({ runbookId, limit: 2 })).toEqual([r3.id, r2.id]);
  });

  test('requestCancel flags a live run and makes it due now; it reports the status it found', async () => {
    const store = b.shared();
    const queued = newRun();
    await store.createRuns([queued]);
    expect(await store.requestCancel(queued.id, true, at(5_000))).toBe('queued');
    expect(await store.getRun(queued.id)).toMatchObject({
      cancelRequested: true,
      keepMitigations: true,
      wakeAt: at(5_000),
    });

    const parked = await heldRun(store, 'canceller');
    await store.commit(parked.lease, {
      runId: parked.id,
      incidentId: null,
      run: { status: 'waiting', wakeAt: null, expectWakeAt: T0, releaseLease: true },
    });
    expect((await store.getRun(parked.id))?.wakeAt).toBeNull();
    expect(await store.requestCancel(parked.id, false, at(7_000))).toBe('waiting');
    expect(await store.getRun(parked.id)).toMatchObject({
      status: 'waiting',
      cancelRequested: true,
      keepMitigations: false,
      wakeAt: at(7_000),
    });
  });

  test('requestCancel returns null for a finished run and for an unknown one', async () => {
    const store = b.shared();
    const done = await heldRun(store, 'finisher');
    await store.commit(done.lease, {
      runId: done.id,
      incidentId: null,
      run: { status: 'succeeded', releaseLease: true, finishedAt: at(1_000) },
    });
    expect(await store.requestCancel(done.id, false, at(2_000))).toBeNull();
    expect(await store.getRun(done.id)).toMatchObject({ status: 'succeeded', cancelRequested: false });
    expect(await store.requestCancel(randomUUID(), false, at(2_000))).toBeNull();
    expect(await store.requestCancel('no-such-run', false, at(2_000))).toBeNull();
  });

  test('retryRun queues a failed run again from its first failed step, keeping committed outputs', async () => {
    const store = b.shared();
    const run = await heldRun(store, 'retrier');
    await store.commit(run.lease, {
      runId: run.id,
      incidentId: null,
      steps: [
        stepWrite('a', { status: 'succeeded', output: { ratio: 0.2 } }),
        stepWrite('b', { status: 'skipped' }),
        stepWrite('c', { status: 'failed', attempt: 3 }),
      ],
      run: {
        status: 'failed',
        error: { name: 'Error', code: 'error', message: 'c failed', nonRetryable: false },
        releaseLease: true,
        finishedAt: at(1_000),
      },
    });
    expect(await store.retryRun(run.id, at(60_000))).toEqual({ previous: 'failed', retried: true });
    expect(await store.getRun(run.id)).toMatchObject({
      status: 'queued',
      error: null,
      finishedAt: null,
      wakeAt: at(60_000),
      leaseOwner: null,
    });
    expect((await store.getSteps(run.id)).map((s) => [s.stepKey, s.status, s.output])).toEqual([
      ['a', 'succeeded', { ratio: 0.2 }],
      ['b', 'skipped', null],
    ]);
    const events = await store.listEvents({ runId: run.id });
    expect(events.at(-1)).toMatchObject({ type: 'run.retried', data: { reset: ['c'] }, at: at(60_000) });
  });

  test('retryRun leaves a run that did not fail alone, and knows no unknown run', async () => {
    const store = b.shared();
    const live = await heldRun(store, 'retrier');
    expect(await store.retryRun(live.id, at(1_000))).toEqual({ previous: 'running', retried: false });
    expect(await store.getRun(live.id)).toMatchObject({ status: 'running', leaseOwner: 'retrier' });
    expect(await store.retryRun(randomUUID(), at(1_000))).toEqual({ previous: null, retried: false });
    expect(await store.retryRun('no-such-run', at(1_000))).toEqual({ previous: null, retried: false });
  });

  test('settings: unknown is null, a value round-trips (false too) and the last write wins', async () => {
    const store = b.shared();
    const key = `setting-${randomUUID()}`;
    expect(await store.getSetting(key)).toBeNull();
    await store.setSetting(key, { paused: true, note: 'deploy freeze' }, 'U1', T0);
    expect(await store.getSetting(key)).toEqual({ paused: true, note: 'deploy freeze' });
    await store.setSetting(key, false, null, at(1_000));
    expect(await store.getSetting<boolean>(key)).toBe(false);
  });
}
