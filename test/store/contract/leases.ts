// Leases: claiming due runs (SKIP LOCKED), taking over expired leases with a new fencing epoch,
// heartbeats and giving leases back.
import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { LeaseLostError } from '../../../src/core/errors.ts';
import type { ClaimedRun, Store } from '../../../src/store/store.ts';
import { at, type Backend, heldRun, newRun, T0 } from './support.ts';

const ids = (claimed: readonly ClaimedRun[]) => claimed.map((c) => c.run.id);

async function setRun(store: Store, run: Awaited<ReturnType<typeof heldRun>>, write: object) {
  await store.commit(run.lease, { runId: run.id, incidentId: null, run: write });
}

export function leaseContract(b: Backend): void {
  test('claimRuns among given runs takes only those, however due the others are', async () => {
    const store = await b.quiet();
    const mine = newRun({ now: at(1_000) });
    const other = newRun({ now: T0 });
    await store.createRuns([mine, other]);
    expect(await store.claimRuns('cli', at(10_000), 30_000, 10, [])).toEqual([]);
    expect(ids(await store.claimRuns('cli', at(10_000), 30_000, 10, [mine.id]))).toEqual([mine.id]);
    // The older due run is still there for the workers.
    expect(ids(await store.claimRuns('w1', at(10_000), 30_000, 10))).toEqual([other.id]);
  });

  test('claimRuns takes due runs only, oldest due first, up to the limit', async () => {
    const store = await b.quiet();
    const q1 = newRun({ now: T0 });
    const q2 = newRun({ now: at(1_000) });
    await store.createRuns([q2, q1]);
    const timer = await heldRun(store, 'w0');
    await setRun(store, timer, { status: 'waiting', wakeAt: at(3_600_000), releaseLease: true });
    const parked = await heldRun(store, 'w0');
    await setRun(store, parked, { status: 'waiting', wakeAt: null, releaseLease: true });
    const done = await heldRun(store, 'w0');
    await setRun(store, done, { status: 'succeeded', releaseLease: true, finishedAt: at(1) });
    const held = await heldRun(store, 'w0');
    const compensating = await heldRun(store, 'w0');
    await setRun(store, compensating, { status: 'compensating' });

    const first = await store.claimRuns('w1', at(10_000), 30_000, 1);
    expect(first).toEqual([
      {
        previousOwner: null,
        run: expect.objectContaining({
          id: q1.id,
          status: 'running',
          leaseOwner: 'w1',
          leaseExpiresAt: at(40_000),
          claims: 1,
        }),
        steps: [],
      },
    ]);
    expect(ids(await store.claimRuns('w1', at(10_000), 30_000, 10))).toEqual([q2.id]);
    expect(await store.claimRuns('w2', at(10_000), 30_000, 10)).toEqual([]);

    // An hour later the timer is due and every lease has expired; parked and finished runs stay put.
    const later = await store.claimRuns('w2', at(3_600_000), 30_000, 10);
    const byId = new Map(later.map((c) => [c.run.id, c]));
    expect([...byId.keys()].sort()).toEqual([q1.id, q2.id, timer.id, held.id, compensating.id].sort());
    expect(byId.get(timer.id)).toMatchObject({ previousOwner: null, run: { status: 'running', claims: 2 } });
    expect(byId.get(held.id)).toMatchObject({ previousOwner: 'w0', run: { status: 'running', claims: 2 } });
    expect(byId.get(q1.id)).toMatchObject({ previousOwner: 'w1', run: { claims: 2 } });
    expect(byId.get(compensating.id)?.run.status).toBe('compensating');
    expect(await store.getRun(parked.id)).toMatchObject({ leaseOwner: null, claims: 1 });
    expect(await store.getRun(done.id)).toMatchObject({ leaseOwner: null, status: 'succeeded' });
  });

  test('claimers racing never get the same run', async () => {
    const store = await b.quiet();
    const all = Array.from({ length: 12 }, (_, i) => newRun({ now: at(i) }));
    await store.createRuns(all);
    const workers = await b.workers(4);
    const rounds = await Promise.all(workers.map((w, i) => w.claimRuns(`w${i}`, at(1_000), 30_000, 4)));
    const claimed = rounds.flatMap((r, i) => r.map((c) => ({ id: c.run.id, owner: `w${i}` })));
    expect(new Set(claimed.map((c) => c.id)).size).toBe(claimed.length);
    for (const c of claimed) {
      expect(await store.getRun(c.id)).toMatchObject({ leaseOwner: c.owner, claims: 1 });
    }
    const rest: string[] = [];
    for (let r = await store.claimRuns('sweeper', at(1_000), 30_000, 5); r.length > 0; ) {
      rest.push(...ids(r));
      r = await store.claimRuns('sweeper', at(1_000), 30_000, 5);
    }
    expect([...claimed.map((c) => c.id), ...rest].sort()).toEqual(all.map((r) => r.id).sort());
  });

  test('an expired lease is taken over at a new epoch, which fences off the old holder', async () => {
    const store = await b.quiet();
    const run = await heldRun(store, 'w1', { leaseExpiresAt: at(30_000) });
    const step = {
      stepKey: 'done-before',
      kind: 'diagnostic',
      status: 'succeeded' as const,
      attempt: 1,
      output: { ok: 1 },
      idempotencyKey: `${run.id}:done-before`,
    };
    await store.commit({ owner: 'w1', epoch: 1 }, { runId: run.id, incidentId: null, steps: [step] });
    expect(await store.claimRuns('w2', at(29_999), 30_000, 10)).toEqual([]);
    const [taken] = await store.claimRuns('w2', at(30_001), 30_000, 10);
    expect(taken).toMatchObject({ previousOwner: 'w1', run: { id: run.id, leaseOwner: 'w2', claims: 2 } });
    // The claim hands over the checkpoints too: the new owner knows what must not run again.
    expect(taken!.steps).toEqual([
      expect.objectContaining({ stepKey: 'done-before', status: 'succeeded', output: { ok: 1 } }),
    ]);

    const event = (type: string) => ({ runId: run.id, incidentId: null, events: [{ type, at: T0 }] });
    await expect(store.commit({ owner: 'w1', epoch: 1 }, event('stale'))).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    expect(await store.heartbeat('w1', [run.id], at(30_002), 30_000)).toEqual([]);
    await store.commit({ owner: 'w2', epoch: 2 }, event('current'));

    // The same worker coming back after its own lease lapsed holds a new epoch; its old writes are refused.
    const [again] = await store.claimRuns('w2', at(70_000), 30_000, 10);
    expect(again).toMatchObject({ previousOwner: 'w2', run: { claims: 3 } });
    await expect(store.commit({ owner: 'w2', epoch: 2 }, event('stale'))).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    await store.commit({ owner: 'w2', epoch: 3 }, event('resumed'));
    expect((await store.listEvents({ runId: run.id })).map((e) => e.type)).toEqual([
      'run.created',
      'current',
      'resumed',
    ]);
  });

  test('releaseRuns gives back running and compensating runs, due at once for another worker', async () => {
    const store = await b.quiet();
    const running = await heldRun(store, 'w1');
    const compensating = await heldRun(store, 'w1');
    await setRun(store, compensating, { status: 'compensating' });
    const other = await heldRun(store, 'w2');
    expect((await store.releaseRuns('w1', at(5_000))).sort()).toEqual([running.id, compensating.id].sort());
    expect(await store.getRun(running.id)).toMatchObject({
      leaseOwner: null,
      leaseExpiresAt: null,
      wakeAt: T0,
    });
    expect((await store.getRun(other.id))?.leaseOwner).toBe('w2');
    const claimed = await store.claimRuns('w3', at(5_000), 30_000, 10);
    expect(ids(claimed).sort()).toEqual([running.id, compensating.id].sort());
  });

  test('releaseRuns writes the progress still queued before it lets go', async () => {
    const store = b.shared();
    const owner = `flusher-${randomUUID()}`;
    const run = await heldRun(store, owner);
    const marker = store.commit(
      run.lease,
      { runId: run.id, incidentId: null, events: [{ type: 'progress', at: T0 }] },
      { wait: false },
    );
    expect(await store.releaseRuns(owner, at(1_000))).toEqual([run.id]);
    await marker;
    expect((await store.listEvents({ runId: run.id })).map((e) => e.type)).toEqual([
      'run.created',
      'progress',
    ]);
  });

  test('heartbeat extends only its own leases and reports cancel requests', async () => {
    const store = b.shared();
    const me = `beater-${randomUUID()}`;
    const mine = await heldRun(store, me);
    const theirs = await heldRun(store, `other-${randomUUID()}`);
    expect(await store.heartbeat(me, [mine.id, theirs.id], at(30_000), 60_000)).toEqual([
      { id: mine.id, cancelRequested: false },
    ]);
    expect((await store.getRun(mine.id))?.leaseExpiresAt).toEqual(at(90_000));
    expect((await store.getRun(theirs.id))?.leaseExpiresAt).toEqual(at(60_000));
    await store.requestCancel(mine.id, false, at(31_000));
    expect(await store.heartbeat(me, [mine.id], at(32_000), 60_000)).toEqual([
      { id: mine.id, cancelRequested: true },
    ]);
    expect(await store.heartbeat(me, [], at(33_000), 60_000)).toEqual([]);
  });
}
