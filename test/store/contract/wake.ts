// Wake-ups: what a worker listening on the store hears, and what it does not need to hear.
import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { at, type Backend, decision, gatedRun, heldRun, newRun, recordWakes } from './support.ts';

export function wakeContract(b: Backend): void {
  test('a queued run wakes workers; a run its creator runs at once does not', async () => {
    const store = b.shared();
    await using wakes = await recordWakes(store);
    await wakes.settle();
    await heldRun(store, 'self-runner');
    expect(await wakes.settle()).not.toContain('run');
    await store.createRuns([newRun()]);
    await wakes.waitFor('run');
  });

  test('a decision that settles a gate wakes workers; one that leaves it pending does not', async () => {
    const store = b.shared();
    const gate = await gatedRun(store, { quorum: 2 });
    const quorum = (current: { decisions: unknown[] }) =>
      current.decisions.length + 1 >= 2 ? ('approved' as const) : ('pending' as const);
    await using wakes = await recordWakes(store);
    await wakes.settle();
    await store.decideApproval(gate.approvalId, decision('U1'), quorum, at(1_000));
    expect(await wakes.settle()).not.toContain('approval');
    await store.decideApproval(gate.approvalId, decision('U2'), quorum, at(2_000));
    await wakes.waitFor('approval');
  });

  test('setSetting wakes with the key, requestCancel with the run id', async () => {
    const store = b.shared();
    await using wakes = await recordWakes(store);
    const key = `kill-switch-${randomUUID()}`;
    await store.setSetting(key, { paused: true }, 'U1', at(0));
    await wakes.waitFor(`setting:${key}`);
    const run = await heldRun(store, 'cancelled');
    await store.requestCancel(run.id, false, at(1_000));
    await wakes.waitFor(`cancel:${run.id}`);
  });

  test('a finished run that frees a concurrency slot wakes workers waiting for one', async () => {
    const store = b.shared();
    const run = await heldRun(store, 'slot-holder');
    expect(await store.acquireSlot(`svc-${randomUUID()}`, 1, run.id)).toBe(true);
    await using wakes = await recordWakes(store);
    await wakes.settle();
    await store.commit(run.lease, {
      runId: run.id,
      incidentId: null,
      run: { status: 'succeeded', releaseLease: true, finishedAt: at(1_000) },
    });
    await wakes.waitFor('slot');
  });

  test('a listener that unsubscribed hears nothing more', async () => {
    const store = b.shared();
    const gone = await recordWakes(store);
    await using stays = await recordWakes(store);
    await gone.stop();
    const key = `after-${randomUUID()}`;
    await store.setSetting(key, 1, null, at(0));
    await stays.waitFor(`setting:${key}`);
    await stays.settle();
    expect(gone.seen).not.toContain(`setting:${key}`);
  });

  test('retryRun wakes workers for the queued run; wakeSlotWaiters for the freed slot', async () => {
    const store = b.shared();
    const key = `svc-${randomUUID()}`;
    const run = await heldRun(store, 'failing', { concurrencyKey: key });
    await store.commit(run.lease, {
      runId: run.id,
      incidentId: null,
      run: { status: 'failed', releaseLease: true, finishedAt: at(1_000) },
    });
    const waiter = await heldRun(store, 'waiting-for-slot', { concurrencyKey: key });
    await store.commit(waiter.lease, {
      runId: waiter.id,
      incidentId: null,
      run: { status: 'waiting', wakeAt: null, releaseLease: true },
    });
    await using wakes = await recordWakes(store);
    await wakes.settle();
    await store.retryRun(run.id, at(2_000));
    await wakes.waitFor('run');
    await wakes.settle();
    await store.wakeSlotWaiters(key, at(3_000));
    await wakes.waitFor('slot');
  });
}
