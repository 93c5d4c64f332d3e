// Committing a transition: fenced by the lease, atomic, and careful with what is already committed.
import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { LeaseLostError } from '../../../src/core/errors.ts';
import type { Lease, Store, Transition } from '../../../src/store/store.ts';
import { at, type Backend, decision, heldRun, stepWrite, T0 } from './support.ts';

/** A transition that touches every table, so a refused one can be checked to have written nothing. */
function everything(runId: string): Transition {
  return {
    runId,
    incidentId: null,
    steps: [stepWrite('a', { status: 'succeeded', output: { ok: true }, finishedAt: at(1) })],
    attempts: [
      { stepKey: 'a', attempt: 1, phase: 'run', status: 'succeeded', startedAt: T0, finishedAt: at(1) },
    ],
    events: [{ type: 'step.succeeded', stepKey: 'a', at: at(1) }],
    evidence: [
      {
        id: randomUUID(),
        stepKey: 'a',
        attempt: 1,
        kind: 'text',
        title: 'note',
        content: 'x',
        contentHash: 'h',
        createdAt: at(1),
      },
    ],
    approvals: [
      { id: randomUUID(), stepKey: 'g', policy: {}, requestedBy: null, requestedAt: at(1), expiresAt: null },
    ],
    run: { status: 'succeeded', output: { a: { ok: true } }, releaseLease: true, finishedAt: at(1) },
  };
}

async function expectNothingWritten(store: Store, runId: string, owner: string): Promise<void> {
  expect(await store.getSteps(runId)).toEqual([]);
  expect(await store.getAttempts(runId)).toEqual([]);
  expect((await store.listEvents({ runId })).map((e) => e.type)).toEqual(['run.created']);
  expect(await store.listEvidence({ runId })).toEqual([]);
  expect(await store.listApprovals({ runId })).toEqual([]);
  expect(await store.getRun(runId)).toMatchObject({ status: 'running', output: null, leaseOwner: owner });
}

export function commitContract(b: Backend): void {
  test('a commit by another owner rejects with LeaseLostError and writes nothing', async () => {
    const store = b.shared();
    const run = await heldRun(store, 'holder');
    const intruder: Lease = { owner: 'intruder', epoch: 1 };
    await expect(store.commit(intruder, everything(run.id))).rejects.toBeInstanceOf(LeaseLostError);
    await expectNothingWritten(store, run.id, 'holder');
  });

  test('a commit at an old epoch rejects with LeaseLostError and writes nothing', async () => {
    const store = b.shared();
    const run = await heldRun(store, 'holder');
    await expect(store.commit({ owner: 'holder', epoch: 0 }, everything(run.id))).rejects.toMatchObject({
      code: 'lease_lost',
      details: { runId: run.id },
    });
    await expectNothingWritten(store, run.id, 'holder');
  });

  test('in one group commit, a fenced-off transition fails alone', async () => {
    const store = b.shared();
    const owned = await heldRun(store, 'batcher');
    const other = await heldRun(store, 'batcher');
    const stranger = await heldRun(store, 'someone-else');
    const results = await Promise.allSettled([
      store.commit(owned.lease, { runId: owned.id, incidentId: null, events: [{ type: 'mine', at: T0 }] }),
      store.commit({ owner: 'batcher', epoch: 2 }, { runId: other.id, incidentId: null, events: [] }),
      store.commit(owned.lease, { runId: stranger.id, incidentId: null, events: [{ type: 'x', at: T0 }] }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((await store.listEvents({ runId: owned.id })).map((e) => e.type)).toEqual(['run.created', 'mine']);
    expect((await store.listEvents({ runId: stranger.id })).map((e) => e.type)).toEqual(['run.created']);
  });

  test('a commit sent again under its commit id applies nothing twice, even once the lease is gone', async () => {
    const store = b.shared();
    const run = await heldRun(store, 'retrier');
    const first = { ...everything(run.id), commitId: randomUUID() };
    await store.commit(run.lease, first);
    // The answer was lost: the engine sends the same transition again, then once more after the run
    // was released (its last commit ended the run) — both are recognised as landed.
    await store.commit(run.lease, first);
    await store.commit(run.lease, { ...first });
    expect(await store.getAttempts(run.id)).toHaveLength(1);
    expect((await store.listEvents({ runId: run.id })).map((e) => e.type)).toEqual([
      'run.created',
      'step.succeeded',
    ]);
    expect(await store.listEvidence({ runId: run.id })).toHaveLength(1);
    expect(await store.listApprovals({ runId: run.id })).toHaveLength(1);
    // A different commit of the released run is still refused.
    await expect(
      store.commit(run.lease, { runId: run.id, incidentId: null, events: [{ type: 'late', at: at(2) }] }),
    ).rejects.toBeInstanceOf(LeaseLostError);
  });

  test('a replayed commit and a new one of the same run in one group commit: only the new one writes', async () => {
    const store = b.shared();
    const run = await heldRun(store, 'mixer');
    const old = {
      runId: run.id,
      incidentId: null,
      commitId: randomUUID(),
      events: [{ type: 'one', at: at(1) }],
    };
    await store.commit(run.lease, old);
    const fresh = { runId: run.id, incidentId: null, events: [{ type: 'two', at: at(2) }] };
    await Promise.all([store.commit(run.lease, old), store.commit(run.lease, fresh)]);
    expect((await store.listEvents({ runId: run.id })).map((e) => e.type)).toEqual([
      'run.created',
      'one',
      'two',
    ]);
  });

  test('a released lease writes no more', async () => {
    const store = b.shared();
    const run = await heldRun(store, 'leaver');
    await store.commit(run.lease, {
      runId: run.id,
      incidentId: null,
      run: { status: 'waiting', wakeAt: at(60_000), releaseLease: true },
    });
    expect(await store.getRun(run.id)).toMatchObject({ leaseOwner: null, leaseExpiresAt: null });
    await expect(
      store.commit(run.lease, { runId: run.id, incidentId: null, run: { status: 'failed' } }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect((await store.getRun(run.id))?.status).toBe('waiting');
  });

  test('steps are upserted: a later write replaces status and output, keeps startedAt when omitted', async () => {
    const store = b.shared();
    const run = await heldRun(store, 'stepper');
    const commitSteps = (steps: Transition['steps']) =>
      store.commit(run.lease, { runId: run.id, incidentId: null, steps: steps ?? [] });
    await commitSteps([stepWrite('a', { startedAt: T0, state: { page: 1 } })]);
    await commitSteps([
      stepWrite('a', {
        status: 'failed',
        attempt: 2,
        error: { name: 'Error', code: 'error', message: 'boom', nonRetryable: false },
        finishedAt: at(2_000),
      }),
    ]);
    const steps = await store.getSteps(run.id);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({
      runId: run.id,
      stepKey: 'a',
      kind: 'diagnostic',
      status: 'failed',
      attempt: 2,
      error: { message: 'boom' },
      idempotencyKey: 'idem-a',
      startedAt: T0,
      finishedAt: at(2_000),
    });
  });

  test('a succeeded step is never overwritten, except by its revert', async () => {
    const store = b.shared();
    const run = await heldRun(store, 'keeper');
    const write = (status: Parameters<typeof stepWrite>[1]) =>
      store.commit(run.lease, { runId: run.id, incidentId: null, steps: [stepWrite('m', status)] });
    await write({ kind: 'mitigation', status: 'succeeded', output: { from: 'v2', to: 'v1' } });
    await write({ kind: 'mitigation', status: 'running', attempt: 2 });
    await write({ kind: 'mitigation', status: 'failed', attempt: 2 });
    expect((await store.getSteps(run.id))[0]).toMatchObject({
      status: 'succeeded',
      attempt: 1,
      output: { from: 'v2', to: 'v1' },
    });
    await write({ kind: 'mitigation', status: 'reverted', output: { from: 'v2', to: 'v1' } });
    expect((await store.getSteps(run.id))[0]?.status).toBe('reverted');

    await write({ kind: 'mitigation', status: 'succeeded', output: { again: true } });
    await write({ kind: 'mitigation', status: 'revert_failed' });
    expect((await store.getSteps(run.id))[0]?.status).toBe('revert_failed');
  });

  test('applied mitigations are numbered in order of application, and keep their number', async () => {
    const store = b.shared();
    const run = await heldRun(store, 'applier');
    const apply = (key: string, extra: Parameters<typeof stepWrite>[1] = {}) =>
      store.commit(run.lease, {
        runId: run.id,
        incidentId: null,
        steps: [stepWrite(key, { kind: 'mitigation', status: 'succeeded', ...extra })],
      });
    await apply('first', { applied: true });
    await apply('second', { applied: true });
    await apply('plain');
    const seq = async () =>
      Object.fromEntries((await store.getSteps(run.id)).map((s) => [s.stepKey, s.appliedSeq]));
    const before = await seq();
    expect(before.plain).toBeNull();
    expect(before.first).toEqual(expect.any(Number));
    expect(before.second).toBeGreaterThan(before.first!);
    await apply('first', { status: 'reverted' });
    expect((await seq()).first).toBe(before.first);
  });

  test('events keep the order they were committed in, across transitions and progress markers', async () => {
    const store = b.shared();
    const run = await heldRun(store, 'narrator');
    const ev = (type: string) => ({ type, stepKey: 'a', data: { type }, at: T0 });
    await Promise.all([
      store.commit(
        run.lease,
        { runId: run.id, incidentId: null, events: [ev('one'), ev('two')] },
        { wait: false },
      ),
      store.commit(run.lease, { runId: run.id, incidentId: null, events: [ev('three')] }),
      store.commit(run.lease, { runId: run.id, incidentId: null, events: [ev('four')] }, { wait: false }),
      store.commit(run.lease, { runId: run.id, incidentId: null, events: [ev('five'), ev('six')] }),
    ]);
    const events = await store.listEvents({ runId: run.id });
    expect(events.map((e) => e.type)).toEqual(['run.created', 'one', 'two', 'three', 'four', 'five', 'six']);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(events[1]).toMatchObject({ runId: run.id, stepKey: 'a', data: { type: 'one' }, at: T0 });
  });

  test('attempts, evidence and approvals are inserted with the run and incident they belong to', async () => {
    const store = b.shared();
    const incidentId = randomUUID();
    const run = await heldRun(store, 'collector', { incidentId });
    const evidenceId = randomUUID();
    const approvalId = randomUUID();
    await store.commit(run.lease, {
      runId: run.id,
      incidentId,
      attempts: [
        { stepKey: 'a', attempt: 1, phase: 'run', status: 'failed', startedAt: T0, finishedAt: at(10) },
        {
          stepKey: 'a',
          attempt: 2,
          phase: 'run',
          status: 'succeeded',
          startedAt: at(20),
          finishedAt: at(30),
        },
      ],
      evidence: [
        {
          id: evidenceId,
          stepKey: 'a',
          attempt: 2,
          kind: 'table',
          title: 'Top errors',
          content: { columns: ['path', 'n'], rows: [['/pay', 12]] },
          contentHash: 'sha256:abc',
          createdAt: at(30),
        },
      ],
      approvals: [
        {
          id: approvalId,
          stepKey: 'gate',
          policy: { approvers: ['U1'], quorum: 1 },
          requestedBy: 'U9',
          requestedAt: at(40),
          expiresAt: at(900_040),
        },
      ],
    });
    expect(
      (await store.getAttempts(run.id)).map((a) => [a.stepKey, a.attempt, a.status, a.finishedAt]),
    ).toEqual([
      ['a', 1, 'failed', at(10)],
      ['a', 2, 'succeeded', at(30)],
    ]);
    expect(await store.listEvidence({ runId: run.id })).toEqual([
      {
        id: evidenceId,
        runId: run.id,
        incidentId,
        stepKey: 'a',
        attempt: 2,
        kind: 'table',
        title: 'Top errors',
        content: { columns: ['path', 'n'], rows: [['/pay', 12]] },
        contentHash: 'sha256:abc',
        createdAt: at(30),
      },
    ]);
    expect(await store.getApproval(approvalId)).toEqual({
      id: approvalId,
      runId: run.id,
      stepKey: 'gate',
      status: 'pending',
      policy: { approvers: ['U1'], quorum: 1 },
      decisions: [],
      requestedBy: 'U9',
      requestedAt: at(40),
      expiresAt: at(900_040),
      decidedAt: null,
      reason: null,
    });
  });

  test('a run write sets status, output, error, version and finish, and releases the lease', async () => {
    const store = b.shared();
    const run = await heldRun(store, 'closer');
    const error = { name: 'Error', code: 'error', message: 'step b failed', nonRetryable: true };
    await store.commit(run.lease, {
      runId: run.id,
      incidentId: null,
      run: {
        status: 'failed',
        output: { a: 1 },
        error,
        runbookVersion: 'v2',
        finishedAt: at(5_000),
        releaseLease: true,
      },
    });
    expect(await store.getRun(run.id)).toMatchObject({
      status: 'failed',
      output: { a: 1 },
      error,
      runbookVersion: 'v2',
      finishedAt: at(5_000),
      leaseOwner: null,
    });
  });

  test('parking compares wake_at: a park loses to a decision that moved wake_at meanwhile', async () => {
    const store = b.shared();
    const run = await heldRun(store, 'parker');
    const approvalId = randomUUID();
    const deadline = at(900_000);
    await store.commit(run.lease, {
      runId: run.id,
      incidentId: null,
      approvals: [
        {
          id: approvalId,
          stepKey: 'gate',
          policy: {},
          requestedBy: null,
          requestedAt: T0,
          expiresAt: deadline,
        },
      ],
    });
    // A fast click decides between the request and the park; the worker still thinks wake_at is T0.
    const decided = await store.decideApproval(approvalId, decision('U1'), () => 'approved', at(30_000));
    expect(decided.outcome).toBe('recorded');
    await store.commit(run.lease, {
      runId: run.id,
      incidentId: null,
      run: { status: 'waiting', wakeAt: deadline, expectWakeAt: T0, releaseLease: true },
    });
    expect(await store.getRun(run.id)).toMatchObject({
      status: 'waiting',
      wakeAt: at(30_000),
      leaseOwner: null,
    });
  });

  test('a decision or cancel in the very instant the worker saw still defeats a racing park', async () => {
    const store = b.shared();
    // Created (and seen by its worker) with wake_at T0; a decision stamped T0 too (a manual clock, or
    // the same millisecond) must still move wake_at, or the park below would erase it for good.
    const gated = await heldRun(store, 'same-instant');
    const approvalId = randomUUID();
    await store.commit(gated.lease, {
      runId: gated.id,
      incidentId: null,
      approvals: [
        { id: approvalId, stepKey: 'g', policy: {}, requestedBy: null, requestedAt: T0, expiresAt: null },
      ],
    });
    await store.decideApproval(approvalId, decision('U1'), () => 'approved', T0);
    const cancelled = await heldRun(store, 'same-instant');
    await store.requestCancel(cancelled.id, false, T0);
    for (const run of [gated, cancelled]) {
      await store.commit(run.lease, {
        runId: run.id,
        incidentId: null,
        run: { status: 'waiting', wakeAt: null, expectWakeAt: T0, releaseLease: true },
      });
      const after = await store.getRun(run.id);
      expect(after?.wakeAt).not.toBeNull();
      expect(after!.wakeAt!.getTime()).toBeLessThanOrEqual(T0.getTime());
    }
  });

  test('parking without a race sets wake_at, to a time or to null', async () => {
    const store = b.shared();
    const timer = await heldRun(store, 'sleeper');
    await store.commit(timer.lease, {
      runId: timer.id,
      incidentId: null,
      run: { status: 'waiting', wakeAt: at(600_000), expectWakeAt: T0, releaseLease: true },
    });
    expect((await store.getRun(timer.id))?.wakeAt).toEqual(at(600_000));
    const parked = await heldRun(store, 'sleeper');
    await store.commit(parked.lease, {
      runId: parked.id,
      incidentId: null,
      run: { status: 'waiting', wakeAt: null, expectWakeAt: T0, releaseLease: true },
    });
    expect((await store.getRun(parked.id))?.wakeAt).toBeNull();
  });

  test('a park also loses to a cancel request that moved wake_at meanwhile', async () => {
    const store = b.shared();
    const run = await heldRun(store, 'parker');
    expect(await store.requestCancel(run.id, false, at(9_000))).toBe('running');
    await store.commit(run.lease, {
      runId: run.id,
      incidentId: null,
      run: { status: 'waiting', wakeAt: null, expectWakeAt: T0, releaseLease: true },
    });
    expect(await store.getRun(run.id)).toMatchObject({ wakeAt: at(9_000), cancelRequested: true });
  });
}
