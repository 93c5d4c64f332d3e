import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { NonRetryableError, runbook, z } from '../../src/index.ts';
import { BUDGET_MAX, budgetedSideEffectRunbook } from '../support/budgeted-side-effects.ts';
import { onPostgres, testDatabase } from '../support/db.ts';
import { deferred, journal, type TestFirebreak, testFirebreak, untilAborted } from '../support/engine.ts';
import { createSideEffectsTableSql } from '../support/side-effects.ts';
import { until } from '../support/until.ts';
import { WorkerChild } from '../support/worker-child.ts';

const HOUR = 3_600_000;

/** A rollback limited to 3 applies per hour per namespace; `applied` records every apply call. */
function budgeted(
  applied: string[],
  opts: { onExceeded?: 'fail'; failFirst?: boolean; failFirstForGood?: boolean } = {},
) {
  let calls = 0;
  return runbook({
    id: 'budgeted',
    title: 'budgeted rollback',
    input: z.object({ namespace: z.string(), i: z.number() }),
  }).mitigation('rollback', {
    budget: {
      max: 3,
      per: '1h',
      scope: (input) => input.namespace,
      ...(opts.onExceeded ? { onExceeded: opts.onExceeded } : {}),
    },
    retry: { maxAttempts: 3, initialDelayMs: 1, jitter: 0 },
    apply: async ({ input }) => {
      calls += 1;
      if (opts.failFirst && calls === 1) throw new Error('connection reset');
      if (opts.failFirstForGood && calls === 1) throw new NonRetryableError('403 forbidden');
      applied.push(`${input.namespace}#${input.i}`);
      return { i: input.i };
    },
    revert: async () => {},
  });
}

async function approveGate(fb: TestFirebreak, approvalId: string, now: Date) {
  const d = { by: 'alice', via: 'api', decision: 'approve' as const, reason: null, at: now.toISOString() };
  const res = await fb.store.decideApproval(approvalId, d, () => 'approved', now);
  expect(res.outcome).toBe('recorded');
}

async function counts(fb: TestFirebreak) {
  const [row] = await fb.store.driver.query<{
    succeeded: number;
    waiting: number;
    gates: number;
    uses: number;
  }>(`
    select (select count(*) from runs where status = 'succeeded')::int as succeeded,
           (select count(*) from runs where status = 'waiting')::int as waiting,
           (select count(*) from approvals where status = 'pending')::int as gates,
           (select count(*) from mitigation_budget_uses)::int as uses`);
  return row!;
}

describe('mitigation budgets', () => {
  test(`10 runs at once against max 3 per hour: 3 apply, 7 wait at a "budget exceeded" gate${onPostgres ? ' (3 engines on one database)' : ''}`, async () => {
    const applied: string[] = [];
    const clock = new ManualClock(new Date('2026-03-01T10:00:00Z'));
    await using db = await testDatabase();
    const rb = budgeted(applied);
    // On PostgreSQL three engines, each with its own connection pool, race for the same budget key.
    await using a = await testFirebreak([rb], { db, clock });
    await using b = onPostgres ? await testFirebreak([rb], { db, clock }) : a;
    await using c = onPostgres ? await testFirebreak([rb], { db, clock }) : a;
    const engines = [a, b, c];

    const started = await Promise.all(
      Array.from({ length: 10 }, (_, i) => engines[i % 3]!.start('budgeted', { namespace: 'prod', i })),
    );
    // Every run at rest: applied, or parked at a gate (an overspend shows as more than 3 applied).
    const atRest = await until(async () => {
      const n = await counts(a);
      return n.succeeded + n.waiting === 10 && n.gates === n.waiting ? n : null;
    }, 30_000);
    expect(atRest).toEqual({ succeeded: 3, waiting: 7, gates: 7, uses: 3 });
    expect(applied).toHaveLength(3);

    // Each held run waits at a gate of its rollback step that says why.
    const gates = await a.store.listApprovals({ status: 'pending' });
    const held = started.map((s) => s.runId).filter((id) => gates.some((g) => g.runId === id));
    expect(held).toHaveLength(7);
    const view = await a.view(held[0]!);
    expect(view!.steps).toMatchObject([{ stepKey: 'rollback', status: 'awaiting_approval' }]);
    const requested = view!.events.find((e) => e.type === 'approval.requested');
    expect((requested!.data as { summary: string }).summary).toBe(
      'budget exceeded: 3 rollback applies in the last hour (max 3, scope prod)',
    );
    expect(view!.events.map((e) => e.type)).toContain('mitigation.budget_exceeded');

    // Another namespace has a budget of its own.
    const staging = await a.run('budgeted', { namespace: 'staging', i: 99 });
    expect(staging.status).toBe('succeeded');

    // An approver lets one through: it applies, and counts too.
    const one = gates.find((g) => g.runId === held[0])!;
    await approveGate(a, one.id, clock.now());
    expect((await a.result(held[0]!)).status).toBe('succeeded');
    expect(applied).toHaveLength(5);
    const [use] = await a.store.driver.query<{ approval_id: string | null }>(
      'select approval_id::text from mitigation_budget_uses where run_id = $1',
      [held[0]],
    );
    expect(use!.approval_id).toBe(one.id);
    expect(await journal(a, held[0]!)).toEqual(
      expect.arrayContaining(['approval.approved', 'mitigation.budget_counted', 'mitigation.applied']),
    );

    // Once the hour has passed, a new run applies without a gate.
    clock.advance(HOUR + 1);
    const later = await a.run('budgeted', { namespace: 'prod', i: 100 });
    expect(later.status).toBe('succeeded');
    expect(await a.store.listApprovals({ runId: later.id })).toEqual([]);
    const [step] = (await a.view(later.id))!.steps;
    expect(step!.state).toMatchObject({
      budget: { used: 1, max: 3, scope: 'prod', key: 'budgeted/rollback#prod' },
    });
  });

  test("onExceeded 'fail': the apply over the budget fails, not retried, naming the budget", async () => {
    const applied: string[] = [];
    await using fb = await testFirebreak([budgeted(applied, { onExceeded: 'fail' })], {
      clock: new ManualClock(),
    });
    for (let i = 0; i < 3; i++) {
      expect((await fb.run('budgeted', { namespace: 'prod', i })).status).toBe('succeeded');
    }
    const over = await fb.run('budgeted', { namespace: 'prod', i: 3 });
    expect(over.status).toBe('failed');
    expect(applied).toEqual(['prod#0', 'prod#1', 'prod#2']);
    const [step] = (await fb.view(over.id))!.steps;
    expect(step).toMatchObject({
      status: 'failed',
      attempt: 0,
      error: {
        code: 'budget_exceeded',
        nonRetryable: true,
        message: 'budget exceeded: 3 rollback applies in the last hour (max 3, scope prod)',
      },
    });
    expect(await fb.store.listApprovals({ runId: over.id })).toEqual([]);
  });

  test('a retried apply in the same run counts once', async () => {
    const applied: string[] = [];
    await using fb = await testFirebreak([budgeted(applied, { failFirst: true })]);
    const run = await fb.run('budgeted', { namespace: 'prod', i: 0 });
    expect(run.status).toBe('succeeded');
    const [step] = (await fb.view(run.id))!.steps;
    expect(step).toMatchObject({ attempt: 2, state: { budget: { used: 1 } } });
    expect((await counts(fb)).uses).toBe(1);
  });

  test('a run retried after its apply failed applies again without counting again', async () => {
    const applied: string[] = [];
    await using fb = await testFirebreak([budgeted(applied, { failFirstForGood: true })]);
    const failed = await fb.run('budgeted', { namespace: 'prod', i: 0 });
    expect(failed.status).toBe('failed');
    expect((await counts(fb)).uses).toBe(1);

    expect(await fb.store.retryRun(failed.id, new Date())).toMatchObject({ retried: true });
    expect((await fb.result(failed.id)).status).toBe('succeeded');
    expect(applied).toEqual(['prod#0']);
    expect((await counts(fb)).uses).toBe(1);
    const counted = (await fb.view(failed.id))!.events.filter((e) => e.type === 'mitigation.budget_counted');
    expect(counted.map((e) => e.data)).toMatchObject([{ used: 1 }, { used: 1, already: true }]);
  });

  test.skipIf(!onPostgres)(
    '3 worker processes, 12 runs, max 3: exactly 3 applies run across processes',
    async () => {
      await using db = await testDatabase();
      const enqueueOnly = budgetedSideEffectRunbook(async () => {
        throw new Error('the test process does not work');
      });
      await using fb = await testFirebreak([enqueueOnly], { db, work: false });
      await fb.store.driver.query(createSideEffectsTableSql);
      // Two runs at a time per worker, so no one worker takes every run before the others look.
      const lease = { leaseMs: 5_000, heartbeatMs: 500, pollMs: 100, maxRuns: 2 };
      const start = (workerId: string) =>
        WorkerChild.start({ databaseUrl: db.databaseUrl!, workerId, ...lease });
      await using w1 = await start('budget-1');
      await using w2 = await start('budget-2');
      await using w3 = await start('budget-3');

      await Promise.all(Array.from({ length: 12 }, (_, i) => fb.start('budgeted-side-effects', { i })));
      const atRest = await until(async () => {
        const n = await counts(fb);
        return n.succeeded + n.waiting === 12 && n.gates === n.waiting ? n : null;
      }, 45_000);
      expect(atRest).toEqual({
        succeeded: BUDGET_MAX,
        waiting: 12 - BUDGET_MAX,
        gates: 12 - BUDGET_MAX,
        uses: 3,
      });
      const effects = await fb.store.driver.query<{ pid: number }>(
        "select pid from side_effects where step = 'apply'",
      );
      expect(effects).toHaveLength(BUDGET_MAX);
      // The runs were shared: more than one process executed them (each claims what it can).
      const claimed = [w1, w2, w3].filter((w) => w.matching((l) => l.event === 'run.claimed').length > 0);
      expect(claimed.length).toBeGreaterThan(1);
    },
  );

  test.skipIf(!onPostgres)(
    'a run another worker takes over mid-apply applies again, counted once',
    async () => {
      await using db = await testDatabase();
      const inApply = deferred();
      let calls = 0;
      const rb = runbook({ id: 'taken-over', title: 'taken over', input: z.object({}) }).mitigation(
        'rollback',
        {
          budget: { max: 1, per: '1h' },
          apply: async ({ signal }) => {
            calls += 1;
            if (calls === 1) {
              inApply.resolve();
              throw await untilAborted(signal);
            }
            return { calls };
          },
          revert: async () => {},
        },
      );
      const a = await testFirebreak([rb], { db, engine: { workerId: 'engine-a' } });
      await using b = await testFirebreak([rb], { db, work: false, engine: { workerId: 'engine-b' } });
      const { runId } = await a.start('taken-over', {});
      await inApply.promise;
      // A stops in the middle of the apply; its lease goes back and B continues the run.
      await a.close({ graceMs: 0 });
      await b.engine.work();
      expect((await b.result(runId)).status).toBe('succeeded');
      expect(calls).toBe(2);
      expect((await counts(b)).uses).toBe(1);
      expect(await journal(b, runId)).toEqual(expect.arrayContaining(['mitigation.budget_counted']));
      expect((await journal(b, runId)).filter((t) => t === 'mitigation.budget_counted')).toHaveLength(1);
    },
  );
});
