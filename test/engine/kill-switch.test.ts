import { describe, expect, test } from 'vitest';
import { runbook, z } from '../../src/index.ts';
import { journal, testFirebreak } from '../support/engine.ts';

describe('the kill switch', () => {
  test('pausing holds new mitigations while diagnostics still run; resuming applies them', async () => {
    const log: string[] = [];
    const rb = runbook({ id: 'paused', title: 'paused', input: z.object({}) })
      .diagnostic('errors', async () => log.push('errors'))
      .mitigation('rollback', {
        needs: ['errors'],
        apply: async () => log.push('apply'),
        revert: async () => log.push('revert'),
      })
      .diagnostic('latency', { needs: ['errors'] }, async () => log.push('latency'));
    await using fb = await testFirebreak([rb], { engine: { killSwitchRecheckMs: 100 } });
    await fb.engine.setPaused(true, 'U-incident-commander');
    expect(await fb.engine.isPaused()).toBe(true);

    const { runId } = await fb.start('paused', {});
    // Parked once by the hold, then again after a recheck that found the switch still on.
    await fb.engine.events.waitFor('run.parked', (e) => e.runId === runId);
    await fb.engine.events.waitFor('run.parked', (e) => e.runId === runId);
    expect(log.sort()).toEqual(['errors', 'latency']);
    const held = (await fb.view(runId))!;
    expect(held.run.status).toBe('waiting');
    expect(held.steps.find((s) => s.stepKey === 'rollback')).toMatchObject({
      status: 'pending',
      appliedSeq: null,
    });
    expect(held.events.filter((e) => e.type === 'mitigation.held').map((e) => e.stepKey)).toEqual([
      'rollback',
    ]);

    const finished = fb.engine.events.waitFor('run.finished', (e) => e.runId === runId);
    await fb.engine.setPaused(false);
    expect(await finished).toMatchObject({ status: 'succeeded' });
    expect(log.filter((l) => l === 'apply')).toHaveLength(1);
    const types = await journal(fb, runId);
    expect(types.indexOf('mitigation.held')).toBeLessThan(types.indexOf('mitigation.applied'));
    expect(types.filter((t) => t === 'mitigation.held')).toHaveLength(1);
  });
});
