// A decision made in a process that works runs continues the gate's run there (decide.ts, "The
// wake-up"): the run is leased in the decision's commit, its journal and rows are those of the woken
// path, and racing decisions still take it exactly once.
import { describe, expect, test } from 'vitest';
import { systemClock } from '../../src/core/clock.ts';
import { jsonLogger } from '../../src/core/logger.ts';
import { runbook, z } from '../../src/index.ts';
import { Approvals } from '../../src/services/approvals/decide.ts';
import type { DecisionRequest } from '../../src/services/approvals/policy.ts';
import { onPostgres } from '../support/db.ts';
import { type TestFirebreak, testFirebreak } from '../support/engine.ts';
import { until } from '../support/until.ts';

const ran = new Map<string, number>();

const gated = runbook({ id: 'wake', title: 'wake', input: z.object({ n: z.number() }) })
  .approval('go', { approvers: ['U1', 'U2'], timeout: '1h' })
  .diagnostic('after', async ({ run }) => {
    ran.set(run.id, (ran.get(run.id) ?? 0) + 1);
    return { ok: true };
  });

const asked = (identity: string, decision: 'approve' | 'reject' = 'approve'): DecisionRequest => ({
  decider: { identity, via: 'api', groups: [] },
  decision,
  reason: decision === 'reject' ? 'no' : null,
});

async function gate(fb: TestFirebreak, n: number): Promise<{ runId: string; approvalId: string }> {
  const parked = fb.engine.events.waitFor('run.parked');
  const { runId } = await fb.start('wake', { n });
  await parked;
  const approval = await until(async () => (await fb.store.listApprovals({ runId }))[0] ?? null);
  return { runId, approvalId: approval.id };
}

/** What the journal and the API show of a run, without ids and times. */
async function seen(fb: TestFirebreak, runId: string) {
  const view = (await fb.view(runId))!;
  const strip = (v: unknown) =>
    JSON.parse(JSON.stringify(v, (k, x) => (/Id$|At$|^id$|^at$|Ms$/.test(k) ? '_' : x)));
  return {
    status: view.run.status,
    output: strip(view.run.output),
    error: strip(view.run.error),
    events: view.events.map((e) => ({ type: e.type, step: e.stepKey, data: strip(e.data) })),
    steps: view.steps.map((s) => ({
      key: s.stepKey,
      status: s.status,
      output: strip(s.output),
      state: strip(s.state),
      error: strip(s.error),
    })),
  };
}

describe('a decision continues its run in the deciding process', () => {
  test.each(['approve', 'reject'] as const)('%s: the same journal and rows as a woken run', async (kind) => {
    await using fb = await testFirebreak([gated]);
    await fb.engine.work();
    const direct = new Approvals(fb.store, systemClock, undefined, fb.engine);
    const woken = new Approvals(fb.store, systemClock);

    const a = await gate(fb, 1);
    const claimed = fb.engine.events.waitFor('run.claimed', (e) => e.runId === a.runId);
    expect((await direct.decide(a.approvalId, asked('U1', kind))).outcome).toBe('recorded');
    await claimed;
    // Leased in the decision's commit: the run is this worker's before anyone was woken.
    const leased = await fb.store.getRun(a.runId);
    const before = await fb.result(a.runId);

    const b = await gate(fb, 2);
    expect((await woken.decide(b.approvalId, asked('U1', kind))).outcome).toBe('recorded');
    fb.engine.poke();
    await fb.result(b.runId);

    expect(leased?.leaseOwner === fb.engine.workerId || leased?.status !== 'waiting').toBe(true);
    expect(before.status).toBe(kind === 'approve' ? 'succeeded' : 'failed');
    expect(await seen(fb, a.runId)).toEqual(await seen(fb, b.runId));
    expect(ran.get(a.runId) ?? 0).toBe(kind === 'approve' ? 1 : 0);
  });

  test('a decision that leaves the gate pending (quorum) takes nothing', async () => {
    const quorum = runbook({ id: 'two', title: 'two', input: z.object({ n: z.number() }) })
      .approval('go', { approvers: ['U1', 'U2'], quorum: 2 })
      .diagnostic('after', async () => ({ ok: true }));
    await using fb = await testFirebreak([quorum]);
    await fb.engine.work();
    const direct = new Approvals(fb.store, systemClock, undefined, fb.engine);
    const parked = fb.engine.events.waitFor('run.parked');
    const { runId } = await fb.start('two', { n: 1 });
    await parked;
    const [approval] = await fb.store.listApprovals({ runId });
    expect((await direct.decide(approval!.id, asked('U1'))).outcome).toBe('recorded');
    expect(await fb.store.getRun(runId)).toMatchObject({ status: 'waiting', leaseOwner: null });
    expect((await direct.decide(approval!.id, asked('U2'))).outcome).toBe('recorded');
    expect((await fb.result(runId)).status).toBe('succeeded');
  });

  test('an engine that does not work runs leaves the run to the wake-up', async () => {
    await using fb = await testFirebreak([gated]);
    await fb.engine.work();
    const a = await gate(fb, 3);
    await fb.engine.stop({ graceMs: 0 });
    const direct = new Approvals(fb.store, systemClock, undefined, fb.engine);
    expect((await direct.decide(a.approvalId, asked('U1'))).outcome).toBe('recorded');
    expect(await fb.store.getRun(a.runId)).toMatchObject({ status: 'waiting', leaseOwner: null });
  });
});

describe.skipIf(!onPostgres)('racing decisions that continue their runs', () => {
  test('two engines deciding the same gates: one outcome each, the next step runs once', async () => {
    await using one = await testFirebreak([gated]);
    await using two = await testFirebreak([gated], { db: one.db });
    await one.engine.work();
    await two.engine.work();
    const a1 = new Approvals(one.store, systemClock, undefined, one.engine);
    const a2 = new Approvals(two.store, systemClock, undefined, two.engine);
    const gates = [];
    for (let i = 0; i < 8; i++) gates.push(await gate(one, 100 + i));
    await Promise.all(
      gates.map(async (g) => {
        const os = await Promise.all([
          a1.decide(g.approvalId, asked('U1')),
          a2.decide(g.approvalId, asked('U2')),
        ]);
        expect(os.map((o) => o.outcome).sort()).toEqual(['already_decided', 'recorded']);
      }),
    );
    for (const g of gates) {
      expect((await one.result(g.runId, { timeoutMs: 20_000 })).status).toBe('succeeded');
      expect(ran.get(g.runId)).toBe(1);
      const events = (await one.view(g.runId))!.events.map((e) => e.type);
      expect(events.filter((t) => t === 'approval.approved')).toHaveLength(1);
      expect(events.filter((t) => t === 'step.succeeded')).toHaveLength(2);
    }
  });
});

describe("the gate step ends in the decision's own commit", () => {
  /** The transaction that last wrote each row: the same id means one commit wrote them. */
  async function writers(fb: TestFirebreak, approvalId: string, runId: string) {
    const q = (text: string, params: unknown[]) =>
      fb.store.driver.query<{ x: string }>(text, params).then((rows) => rows.map((r) => String(r.x)));
    return {
      approval: await q('select xmin::text as x from approvals where id = $1', [approvalId]),
      gateStep: await q(`select xmin::text as x from steps where run_id = $1 and step_key = 'go'`, [runId]),
      gateEvents: await q(
        `select xmin::text as x from events where run_id = $1 and step_key = 'go'
           and type in ('approval.decision', 'approval.approved', 'approval.rejected', 'step.succeeded', 'step.rejected')
         order by seq`,
        [runId],
      ),
    };
  }

  test.each(['approve', 'reject'] as const)(
    '%s: gate row, step row and their journal lines share one commit',
    async (kind) => {
      await using fb = await testFirebreak([gated]);
      await fb.engine.work();
      const direct = new Approvals(fb.store, systemClock, undefined, fb.engine);
      const a = await gate(fb, 10);
      expect((await direct.decide(a.approvalId, asked('U1', kind))).outcome).toBe('recorded');
      const end = await fb.result(a.runId);
      expect(end.status).toBe(kind === 'approve' ? 'succeeded' : 'failed');
      const w = await writers(fb, a.approvalId, a.runId);
      // approval.decision, approval.approved|rejected, and step.succeeded for an approved gate.
      expect(w.gateEvents).toHaveLength(kind === 'approve' ? 3 : 2);
      expect(new Set([...w.approval, ...w.gateStep, ...w.gateEvents])).toEqual(new Set(w.approval));
      expect(ran.get(a.runId) ?? 0).toBe(kind === 'approve' ? 1 : 0);
    },
  );

  test('a decision whose transaction fails writes nothing, and the run goes on after the next decision', async () => {
    await using fb = await testFirebreak([gated]);
    await fb.engine.work();
    // The decision's transaction fails after the engine handed it the gate step's end: the claim's
    // first commit gets a transition for a run this transaction does not lease, so the write is refused.
    const failing = new Proxy(fb.store, {
      get(target, prop, receiver) {
        if (prop !== 'decideApproval') return Reflect.get(target, prop, receiver);
        return (...args: Parameters<typeof target.decideApproval>) => {
          const claim = args[4];
          args[4] = claim && {
            ...claim,
            firstCommit: async (claimed, approval) => {
              const first = await claim.firstCommit!(claimed, approval);
              expect(first.transitions.length).toBeGreaterThan(0);
              throw Object.assign(new Error('the decision transaction failed'), { first });
            },
          };
          return target.decideApproval(...args);
        };
      },
    });
    const breaking = new Approvals(failing, systemClock, undefined, fb.engine);
    const a = await gate(fb, 11);
    const released = fb.engine.events.waitFor('run.released', (e) => e.runId === a.runId);
    const err = await breaking
      .decide(a.approvalId, asked('U1'))
      .catch((e: Error & { first?: { failed(e: unknown): void } }) => e);
    expect((err as Error).message).toBe('the decision transaction failed');
    // The store calls failed() only for a first commit it received; this one threw before returning it.
    (err as { first: { failed(e: unknown): void } }).first.failed(err);
    await released;
    // Nothing of the decision committed: the gate is pending, the run waits unleased, `after` never ran.
    expect((await fb.store.getApproval(a.approvalId))?.status).toBe('pending');
    expect(await fb.store.getRun(a.runId)).toMatchObject({ status: 'waiting', leaseOwner: null });
    expect((await fb.store.getSteps(a.runId)).find((s) => s.stepKey === 'go')?.status).toBe(
      'awaiting_approval',
    );
    expect(ran.get(a.runId) ?? 0).toBe(0);

    const direct = new Approvals(fb.store, systemClock, undefined, fb.engine);
    expect((await direct.decide(a.approvalId, asked('U2'))).outcome).toBe('recorded');
    expect((await fb.result(a.runId)).status).toBe('succeeded');
    expect(ran.get(a.runId)).toBe(1);
    const events = (await fb.view(a.runId))!.events.map((e) => e.type);
    expect(events.filter((t) => t === 'approval.decision')).toHaveLength(1);
    expect(events.filter((t) => t === 'step.succeeded')).toHaveLength(2);
  });
});

describe('what the decision captures of the run it continues', () => {
  /** The engine's debug lines about decision commits: why each capture ended, and with how many transitions. */
  function recording() {
    const lines: Record<string, unknown>[] = [];
    const logger = jsonLogger('debug', {}, (line) => {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (o.msg === 'decision commit') lines.push(o);
    });
    return { logger, lines };
  }

  test('an approval gate: its end is the captured first commit', async () => {
    const { logger, lines } = recording();
    await using fb = await testFirebreak([gated], { logger });
    await fb.engine.work();
    const direct = new Approvals(fb.store, systemClock, undefined, fb.engine);
    const a = await gate(fb, 20);
    await direct.decide(a.approvalId, asked('U1'));
    expect((await fb.result(a.runId)).status).toBe('succeeded');
    expect(lines).toEqual([
      expect.objectContaining({ runId: a.runId, firstCommit: 'commit', transitions: 2 }),
    ]);
  });

  test('a mitigation behind a gate reads the kill switch first: nothing captured, applied once after the decision', async () => {
    const applied: string[] = [];
    const rb = runbook({
      id: 'gated-fix',
      title: 'gated fix',
      input: z.object({ n: z.number() }),
    }).mitigation('drain', {
      approval: { approvers: ['U1'] },
      apply: async ({ run }) => {
        applied.push(run.id);
        return { drained: true };
      },
      revert: async () => {},
    });
    const { logger, lines } = recording();
    await using fb = await testFirebreak([rb], { logger });
    await fb.engine.work();
    const direct = new Approvals(fb.store, systemClock, undefined, fb.engine);
    const parked = fb.engine.events.waitFor('run.parked');
    const { runId } = await fb.start('gated-fix', { n: 1 });
    await parked;
    const [approval] = await fb.store.listApprovals({ runId });
    expect((await direct.decide(approval!.id, asked('U1'))).outcome).toBe('recorded');
    expect((await fb.result(runId)).status).toBe('succeeded');
    expect(applied).toEqual([runId]);
    // Ended by the kill-switch read, not by waiting out CAPTURE_MAX_MS (on PGlite that read would wait
    // for the decision's transaction, which would wait for the capture).
    expect(lines).toEqual([expect.objectContaining({ runId, firstCommit: 'store call', transitions: 0 })]);
  });
});
