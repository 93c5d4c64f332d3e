import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { runbook, z } from '../../src/index.ts';
import type { ApprovalDecision } from '../../src/store/records.ts';
import { journal, type TestFirebreak, testFirebreak } from '../support/engine.ts';

const input = z.object({});

function decision(kind: ApprovalDecision['decision'], now: Date): ApprovalDecision {
  return {
    by: 'U024BE7LH',
    via: 'api',
    decision: kind,
    reason: kind === 'reject' ? 'too risky' : null,
    at: now.toISOString(),
  };
}

/** Starts a run and waits until it parks at its gate; returns the run and its one pending approval. */
async function parkedAtGate(fb: TestFirebreak, runbookId: string) {
  const parked = fb.engine.events.waitFor('run.parked');
  const { runId } = await fb.start(runbookId, {});
  await parked;
  const approvals = await fb.store.listApprovals({ runId });
  expect(approvals).toMatchObject([{ status: 'pending' }]);
  return { runId, approvalId: approvals[0]!.id };
}

async function decide(fb: TestFirebreak, approvalId: string, kind: 'approve' | 'reject', now = new Date()) {
  const res = await fb.store.decideApproval(
    approvalId,
    decision(kind, now),
    () => (kind === 'approve' ? 'approved' : 'rejected'),
    now,
  );
  expect(res.outcome).toBe('recorded');
}

describe('approval gates', () => {
  test('a gate parks the run until a decision wakes it; the next step then runs', async () => {
    let after = 0;
    const rb = runbook({ id: 'gated', title: 'gated', input })
      .approval('ok', { approvers: ['U024BE7LH'] })
      .diagnostic('after', async () => ++after);
    await using fb = await testFirebreak([rb]);
    const { runId, approvalId } = await parkedAtGate(fb, 'gated');
    expect(await fb.store.getRun(runId)).toMatchObject({ status: 'waiting', leaseOwner: null, wakeAt: null });
    expect((await fb.view(runId))!.steps).toMatchObject([{ stepKey: 'ok', status: 'awaiting_approval' }]);
    expect(after).toBe(0);

    await decide(fb, approvalId, 'approve');
    const run = await fb.result(runId);
    expect(run.status).toBe('succeeded');
    expect(after).toBe(1);
    expect(run.output).toMatchObject({
      ok: { approved: true, approvalId, by: ['U024BE7LH'], via: 'decision' },
    });
    expect(await journal(fb, runId)).toEqual([
      'run.created',
      'approval.requested',
      'run.waiting',
      'approval.decision',
      'approval.approved',
      'step.succeeded',
      'step.started',
      'step.succeeded',
      'run.succeeded',
    ]);
  });

  test('a rejection fails the gate and the saga reverts the mitigation applied before it', async () => {
    const log: string[] = [];
    const rb = runbook({ id: 'rejected', title: 'rejected', input })
      .mitigation('drain', {
        apply: async () => log.push('apply'),
        revert: async () => log.push('revert'),
      })
      .approval('ok', {})
      .diagnostic('after', async () => log.push('after'));
    await using fb = await testFirebreak([rb]);
    const { runId, approvalId } = await parkedAtGate(fb, 'rejected');
    await decide(fb, approvalId, 'reject');
    const run = await fb.result(runId);
    expect(run.status).toBe('compensated');
    expect(run.error).toMatchObject({ code: 'approval_rejected' });
    expect(log).toEqual(['apply', 'revert']);
    const view = (await fb.view(runId))!;
    expect(view.steps.map((s) => [s.stepKey, s.status])).toEqual([
      ['drain', 'reverted'],
      ['ok', 'rejected'],
    ]);
    expect(view.events.map((e) => e.type)).toContain('approval.rejected');
  });

  test("a gate timing out with onTimeout 'reject' expires and fails the run", async () => {
    const clock = new ManualClock();
    let after = 0;
    const rb = runbook({ id: 'expiring', title: 'expiring', input })
      .approval('ok', { timeout: '15m', onTimeout: 'reject' })
      .diagnostic('after', async () => ++after);
    await using fb = await testFirebreak([rb], { clock });
    const { runId, approvalId } = await parkedAtGate(fb, 'expiring');
    expect((await fb.store.getRun(runId))!.wakeAt).toEqual(new Date(clock.now().getTime() + 15 * 60_000));

    const finished = fb.engine.events.waitFor('run.finished', (e) => e.runId === runId);
    clock.advance(15 * 60_000);
    fb.engine.poke();
    expect(await finished).toMatchObject({ status: 'failed' });
    expect(after).toBe(0);
    expect(await fb.store.getApproval(approvalId)).toMatchObject({ status: 'expired' });
    const view = (await fb.view(runId))!;
    expect(view.steps).toMatchObject([
      { stepKey: 'ok', status: 'expired', error: { code: 'approval_expired' } },
    ]);
    expect(view.events.map((e) => e.type)).toContain('approval.expired');
  });

  test("a gate timing out with onTimeout 'approve' lets the run go on", async () => {
    const clock = new ManualClock();
    let after = 0;
    const rb = runbook({ id: 'lenient', title: 'lenient', input })
      .approval('ok', { timeout: '15m', onTimeout: 'approve' })
      .diagnostic('after', async () => ++after);
    await using fb = await testFirebreak([rb], { clock });
    const { runId, approvalId } = await parkedAtGate(fb, 'lenient');
    const finished = fb.engine.events.waitFor('run.finished', (e) => e.runId === runId);
    clock.advance(15 * 60_000);
    fb.engine.poke();
    expect(await finished).toMatchObject({ status: 'succeeded' });
    expect(after).toBe(1);
    expect(await fb.store.getApproval(approvalId)).toMatchObject({ status: 'approved', decisions: [] });
    const run = (await fb.store.getRun(runId))!;
    expect(run.output).toMatchObject({ ok: { approved: true, by: [], via: 'timeout' } });
  });

  test('a mitigation with an approval policy waits for the decision before apply', async () => {
    const log: string[] = [];
    const rb = runbook({ id: 'risky', title: 'risky', input }).mitigation('rollback', {
      approval: { approvers: ['U024BE7LH'] },
      apply: async ({ idempotencyKey }) => {
        log.push('apply');
        return { key: idempotencyKey };
      },
      revert: async () => log.push('revert'),
    });
    await using fb = await testFirebreak([rb]);
    const { runId, approvalId } = await parkedAtGate(fb, 'risky');
    expect(log).toEqual([]);
    expect((await fb.view(runId))!.steps).toMatchObject([
      { stepKey: 'rollback', status: 'awaiting_approval', appliedSeq: null },
    ]);

    await decide(fb, approvalId, 'approve');
    const run = await fb.result(runId);
    expect(run.status).toBe('succeeded');
    expect(log).toEqual(['apply']);
    const types = await journal(fb, runId);
    const approved = types.indexOf('approval.approved');
    expect(approved).toBeGreaterThanOrEqual(0);
    expect(approved).toBeLessThan(types.indexOf('mitigation.applied'));
    expect(types).toContain('step.succeeded');
  });
});
