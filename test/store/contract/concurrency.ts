// Concurrency slots: per-key limits on how many runs go at once.
import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { at, type Backend, heldRun, newRun, T0 } from './support.ts';

export function concurrencyContract(b: Backend): void {
  test('acquireSlot respects the limit; a run holds one slot until it ends', async () => {
    const store = b.shared();
    const key = `svc-${randomUUID()}`;
    const [r1, r2, r3] = await Promise.all([1, 2, 3].map(() => heldRun(store, 'slotter')));
    expect(await store.acquireSlot(key, 2, r1!.id)).toBe(true);
    expect(await store.acquireSlot(key, 2, r2!.id)).toBe(true);
    expect(await store.acquireSlot(key, 2, r3!.id)).toBe(false);
    // Asking again keeps the slot it has rather than taking another.
    expect(await store.acquireSlot(key, 2, r1!.id)).toBe(true);
    expect(await store.acquireSlot(key, 2, r3!.id)).toBe(false);
    expect(await store.acquireSlot(`other-${key}`, 1, randomUUID())).toBe(true);

    await store.commit(r1!.lease, {
      runId: r1!.id,
      incidentId: null,
      run: { status: 'succeeded', releaseLease: true, finishedAt: at(1_000) },
    });
    expect(await store.acquireSlot(key, 2, r3!.id)).toBe(true);
  });

  test('a run that parks keeps its slot', async () => {
    const store = b.shared();
    const key = `svc-${randomUUID()}`;
    const run = await heldRun(store, 'slotter');
    expect(await store.acquireSlot(key, 1, run.id)).toBe(true);
    await store.commit(run.lease, {
      runId: run.id,
      incidentId: null,
      run: { status: 'waiting', wakeAt: null, releaseLease: true },
    });
    expect(await store.acquireSlot(key, 1, randomUUID())).toBe(false);
  });

  test('acquirers racing for the last slot: exactly one wins', async () => {
    const store = b.shared();
    const key = `svc-${randomUUID()}`;
    expect(await store.acquireSlot(key, 2, randomUUID())).toBe(true);
    const workers = await b.workers(6);
    const wins = await Promise.all(workers.map((w) => w.acquireSlot(key, 2, randomUUID())));
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  test('wakeSlotWaiters makes the runs of the key that wait for a slot due now, and no others', async () => {
    const store = b.shared();
    const key = `svc-${randomUUID()}`;
    const park = async (concurrencyKey: string, wakeAt: Date | null, slot: boolean) => {
      const run = await heldRun(store, 'waiter', { concurrencyKey });
      if (slot) expect(await store.acquireSlot(concurrencyKey, 5, run.id)).toBe(true);
      await store.commit(run.lease, {
        runId: run.id,
        incidentId: null,
        run: { status: 'waiting', wakeAt, releaseLease: true },
      });
      return run.id;
    };
    const parked = await park(key, null, false);
    const later = await park(key, at(600_000), false);
    const holder = await park(key, null, true);
    const otherKey = await park(`other-${key}`, null, false);
    const queued = newRun({ concurrencyKey: key });
    await store.createRuns([queued]);

    await store.wakeSlotWaiters(key, at(5_000));
    const wakeAt = async (id: string) => (await store.getRun(id))?.wakeAt ?? null;
    expect(await wakeAt(parked)).toEqual(at(5_000));
    expect(await wakeAt(later)).toEqual(at(5_000));
    expect(await wakeAt(holder)).toBeNull();
    expect(await wakeAt(otherKey)).toBeNull();
    expect(await wakeAt(queued.id)).toEqual(T0);
  });

  test('the commit that ends a run gives its slot up and makes the waiters of the key due in the same commit', async () => {
    const store = b.shared();
    const key = `svc-${randomUUID()}`;
    const park = async (concurrencyKey: string, wakeAt: Date | null, slot: boolean) => {
      const run = await heldRun(store, 'waiter', { concurrencyKey });
      if (slot) expect(await store.acquireSlot(concurrencyKey, 1, run.id)).toBe(true);
      await store.commit(run.lease, {
        runId: run.id,
        incidentId: null,
        run: { status: 'waiting', wakeAt, releaseLease: true },
      });
      return run.id;
    };
    const parked = await park(key, null, false);
    const later = await park(key, at(600_000), false);
    const otherKey = await park(`other-${key}`, null, false);
    // Still trying to take a slot: moved too, so the park it is about to commit loses its compare.
    const trying = await heldRun(store, 'waiter', { concurrencyKey: key });
    const holder = await heldRun(store, 'slotter', { concurrencyKey: key });
    expect(await store.acquireSlot(key, 1, holder.id)).toBe(true);

    await store.commit(holder.lease, {
      runId: holder.id,
      incidentId: null,
      run: { status: 'succeeded', releaseLease: true, finishedAt: at(5_000), wakeAt: null },
    });
    const wakeAt = async (id: string) => (await store.getRun(id))?.wakeAt ?? null;
    expect(await wakeAt(parked)).toEqual(at(5_000));
    expect(await wakeAt(later)).toEqual(at(5_000));
    expect(await wakeAt(trying.id)).toEqual(at(5_000));
    expect(await wakeAt(otherKey)).toBeNull();
    expect(await wakeAt(holder.id)).toBeNull();
    expect(await store.acquireSlot(key, 1, parked)).toBe(true);
  });
}
