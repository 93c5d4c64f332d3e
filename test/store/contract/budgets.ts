// Mitigation budgets: commitBudgeted counts a use and commits the step's transition in one transaction,
// or writes nothing when the key has no room; a run and step count once; racing runs never overspend.
import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { LeaseLostError } from '../../../src/core/errors.ts';
import type { BudgetUse, BudgetVerdict, Store, Transition } from '../../../src/store/store.ts';
import { at, type Backend, type HeldRun, heldRun, stepWrite } from './support.ts';

const HOUR = 3_600_000;

function use(key: string, now: Date, over: Partial<BudgetUse> = {}): BudgetUse {
  return {
    key,
    runbookId: 'contract',
    mitigation: 'rollback',
    scope: null,
    stepKey: 'rollback',
    max: 2,
    perMs: HOUR,
    now,
    overrideApprovalId: null,
    ...over,
  };
}

/** The transition that starts the apply: the step row and a journal line carrying the verdict. */
function starting(run: HeldRun, commitId = randomUUID()) {
  return (v: BudgetVerdict): Transition => ({
    runId: run.id,
    incidentId: null,
    commitId,
    steps: [stepWrite('rollback', { kind: 'mitigation', state: { used: v.used } })],
    events: [{ type: 'mitigation.budget_counted', stepKey: 'rollback', data: { used: v.used }, at: at(0) }],
  });
}

async function counted(store: Store, run: HeldRun) {
  const steps = await store.getSteps(run.id);
  const events = (await store.listEvents({ runId: run.id })).filter(
    (e) => e.type === 'mitigation.budget_counted',
  );
  return { state: steps[0]?.state ?? null, events: events.length };
}

export function budgetContract(b: Backend): void {
  test('within the budget it counts and commits; over it nothing is written; the window slides', async () => {
    const store = b.shared();
    const key = `budget-${randomUUID()}`;
    const runs = await Promise.all([1, 2, 3].map(() => heldRun(store, 'budgeter')));
    const [r1, r2, r3] = runs as [HeldRun, HeldRun, HeldRun];
    expect(await store.commitBudgeted(r1.lease, r1.id, use(key, at(0)), starting(r1))).toMatchObject({
      admitted: true,
      already: false,
      used: 1,
      oldestAt: at(0),
    });
    expect(await store.commitBudgeted(r2.lease, r2.id, use(key, at(1_000)), starting(r2))).toMatchObject({
      admitted: true,
      used: 2,
    });
    expect(await counted(store, r2)).toEqual({ state: { used: 2 }, events: 1 });

    const refused = await store.commitBudgeted(r3.lease, r3.id, use(key, at(2_000)), starting(r3));
    expect(refused).toEqual({ admitted: false, already: false, used: 2, oldestAt: at(0) });
    expect(await counted(store, r3)).toEqual({ state: null, events: 0 });

    // An hour after the first use it has left the window: one more fits.
    const later = await store.commitBudgeted(r3.lease, r3.id, use(key, at(HOUR)), starting(r3));
    expect(later).toMatchObject({ admitted: true, used: 2, oldestAt: at(1_000) });
  });

  test('the same run and step count once; an approved override counts over the budget', async () => {
    const store = b.shared();
    const key = `budget-${randomUUID()}`;
    const r1 = await heldRun(store, 'budgeter');
    const r2 = await heldRun(store, 'budgeter');
    const first = starting(r1);
    await store.commitBudgeted(r1.lease, r1.id, use(key, at(0), { max: 1 }), first);
    // Sent again (its answer lost): admitted, not counted twice, and the journal line lands once.
    const again = await store.commitBudgeted(r1.lease, r1.id, use(key, at(5), { max: 1 }), first);
    expect(again).toMatchObject({ admitted: true, already: true, used: 1 });
    expect((await counted(store, r1)).events).toBe(1);

    const over = use(key, at(10), { max: 1, overrideApprovalId: randomUUID() });
    expect(await store.commitBudgeted(r2.lease, r2.id, over, starting(r2))).toMatchObject({
      admitted: true,
      used: 2,
    });
  });

  test('a stale lease counts nothing', async () => {
    const store = b.shared();
    const key = `budget-${randomUUID()}`;
    const run = await heldRun(store, 'budgeter');
    const stale = { owner: run.lease.owner, epoch: run.lease.epoch + 1 };
    await expect(store.commitBudgeted(stale, run.id, use(key, at(0)), starting(run))).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    const fresh = await heldRun(store, 'budgeter');
    expect(await store.commitBudgeted(fresh.lease, fresh.id, use(key, at(0)), starting(fresh))).toMatchObject(
      {
        used: 1,
      },
    );
  });

  test('runs racing for the last uses of a budget: exactly `max` are admitted', async () => {
    const key = `budget-${randomUUID()}`;
    const workers = await b.workers(8);
    const runs = await Promise.all(workers.map((w) => heldRun(w, 'racer')));
    const verdicts = await Promise.all(
      workers.map((w, i) =>
        w.commitBudgeted(runs[i]!.lease, runs[i]!.id, use(key, at(i), { max: 3 }), starting(runs[i]!)),
      ),
    );
    expect(verdicts.filter((v) => v.admitted)).toHaveLength(3);
    expect(verdicts.filter((v) => !v.admitted).every((v) => v.used === 3)).toBe(true);
  });
}
