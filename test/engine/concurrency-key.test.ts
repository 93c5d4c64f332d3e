import { describe, expect, test } from 'vitest';
import { runbook, z } from '../../src/index.ts';
import { journal, type TestFirebreak, testFirebreak } from '../support/engine.ts';

function oneAtATime(worked: string[]) {
  return runbook({
    id: 'restart',
    title: 'restart',
    input: z.object({ service: z.string(), n: z.number() }),
    concurrency: { key: (i) => i.service, limit: 1 },
  })
    .approval('ok', {})
    .diagnostic('work', async ({ input }) => {
      worked.push(`${input.service}#${input.n}`);
      return input.n;
    });
}

async function startParked(fb: TestFirebreak, service: string, n: number) {
  const parked = fb.engine.events.waitFor('run.parked');
  const { runId } = await fb.start('restart', { service, n });
  expect(await parked).toMatchObject({ runId });
  return runId;
}

async function approve(fb: TestFirebreak, runId: string) {
  const [gate] = await fb.store.listApprovals({ runId });
  const now = new Date();
  const d = { by: 'U1', via: 'api', decision: 'approve' as const, reason: null, at: now.toISOString() };
  await fb.store.decideApproval(gate!.id, d, () => 'approved', now);
}

describe('per-runbook concurrency keys', () => {
  test('a second run with the same key waits for the slot; another key goes ahead', async () => {
    const worked: string[] = [];
    // A long retry interval: B must be woken by A's slot release, not by its own timer.
    await using fb = await testFirebreak([oneAtATime(worked)], { engine: { slotRetryMs: 60_000 } });
    const a = await startParked(fb, 'x', 1);
    const b = await startParked(fb, 'x', 2);
    const c = await startParked(fb, 'y', 3);

    expect(await fb.store.listApprovals({ runId: a })).toHaveLength(1);
    expect(await fb.store.listApprovals({ runId: b })).toHaveLength(0);
    expect(await fb.store.listApprovals({ runId: c })).toHaveLength(1);
    const queued = await fb.view(b);
    expect(queued!.run.status).toBe('waiting');
    expect(queued!.steps).toEqual([]);
    expect(queued!.events.map((e) => e.type)).toEqual(['run.created', 'run.queued_for_slot', 'run.waiting']);

    // C (service y) runs to the end while A still holds x's slot.
    await approve(fb, c);
    expect((await fb.result(c)).status).toBe('succeeded');
    expect(worked).toEqual(['y#3']);
    expect((await fb.store.getRun(b))!.status).toBe('waiting');

    // A finishes and gives the slot up; B takes it and reaches its own gate.
    const bAtGate = fb.engine.events.waitFor('run.parked', (e) => e.runId === b);
    await approve(fb, a);
    expect((await fb.result(a)).status).toBe('succeeded');
    await bAtGate;
    await approve(fb, b);
    expect((await fb.result(b)).status).toBe('succeeded');
    expect(worked).toEqual(['y#3', 'x#1', 'x#2']);
    expect(await journal(fb, b)).toEqual([
      'run.created',
      'run.queued_for_slot',
      'run.waiting',
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
});
