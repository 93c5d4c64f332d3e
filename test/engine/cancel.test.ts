import { describe, expect, test } from 'vitest';
import { runbook, z } from '../../src/index.ts';
import { deferred, journal, testFirebreak, untilAborted } from '../support/engine.ts';

const input = z.object({});

function gatedMitigation(log: string[]) {
  return runbook({ id: 'gated', title: 'gated', input })
    .mitigation('drain', {
      apply: async () => log.push('apply'),
      revert: async () => log.push('revert'),
    })
    .approval('ok', {})
    .diagnostic('after', async () => log.push('after'));
}

describe('cancelling a run', () => {
  test('a run parked at a gate is cancelled and its applied mitigation reverted', async () => {
    const log: string[] = [];
    await using fb = await testFirebreak([gatedMitigation(log)]);
    const parked = fb.engine.events.waitFor('run.parked');
    const { runId } = await fb.start('gated', {});
    await parked;

    const finished = fb.engine.events.waitFor('run.finished', (e) => e.runId === runId);
    await fb.cancel(runId);
    expect(await finished).toMatchObject({ status: 'cancelled' });
    expect(log).toEqual(['apply', 'revert']);
    const view = (await fb.view(runId))!;
    expect(view.run).toMatchObject({
      status: 'cancelled',
      cancelRequested: true,
      error: { code: 'cancelled' },
    });
    expect(view.steps.find((s) => s.stepKey === 'drain')?.status).toBe('reverted');
    // Nothing is left open behind the ended run: its gate is closed, not pending forever.
    expect(view.steps.find((s) => s.stepKey === 'ok')).toMatchObject({
      status: 'failed',
      error: { code: 'interrupted' },
    });
    const [gate] = await fb.store.listApprovals({ runId });
    expect(gate).toMatchObject({ status: 'expired', reason: 'the run ended first' });
    const types = view.events.map((e) => e.type);
    expect(types.slice(types.indexOf('run.compensating'))).toEqual([
      'run.compensating',
      'step.started',
      'mitigation.reverted',
      'run.cancelled',
    ]);
  });

  test('cancelling with keepMitigations leaves the mitigation applied, on the record', async () => {
    const log: string[] = [];
    await using fb = await testFirebreak([gatedMitigation(log)]);
    const parked = fb.engine.events.waitFor('run.parked');
    const { runId } = await fb.start('gated', {});
    await parked;

    const finished = fb.engine.events.waitFor('run.finished', (e) => e.runId === runId);
    await fb.cancel(runId, { keepMitigations: true });
    expect(await finished).toMatchObject({ status: 'cancelled' });
    expect(log).toEqual(['apply']);
    const view = (await fb.view(runId))!;
    expect(view.steps.find((s) => s.stepKey === 'drain')?.status).toBe('succeeded');
    const kept = view.events.filter((e) => e.type === 'mitigation.kept');
    expect(kept.map((e) => e.stepKey)).toEqual(['drain']);
    expect(await journal(fb, runId)).not.toContain('mitigation.reverted');
  });

  test("cancelling a run aborts the running step's signal, then reverts at once", async () => {
    const entered = deferred<AbortSignal>();
    const log: string[] = [];
    const rb = runbook({ id: 'long', title: 'long', input })
      .mitigation('drain', {
        apply: async () => log.push('apply'),
        revert: async () => log.push('revert'),
      })
      .diagnostic('scan', async ({ signal }) => {
        entered.resolve(signal);
        await untilAborted(signal);
        return 'done';
      })
      .diagnostic('after', async () => log.push('after'));
    await using fb = await testFirebreak([rb]);
    const { runId } = await fb.start('long', {});
    const seen = await entered.promise;
    expect(seen.aborted).toBe(false);

    const finished = fb.engine.events.waitFor('run.finished', (e) => e.runId === runId);
    await fb.cancel(runId);
    expect(await finished).toMatchObject({ status: 'cancelled' });
    expect(seen.aborted).toBe(true);
    expect(seen.reason).toMatchObject({ code: 'cancelled' });
    // Reverted once, by the same executor: the cancel's abort does not reach the revert.
    expect(log).toEqual(['apply', 'revert']);
    expect(await fb.store.getRun(runId)).toMatchObject({ status: 'cancelled', claims: 1 });
    // The interrupted step does not stay "running" on a cancelled run.
    const steps = await fb.store.getSteps(runId);
    expect(steps.find((s) => s.stepKey === 'scan')).toMatchObject({
      status: 'failed',
      error: { code: 'interrupted' },
    });
  });
});
