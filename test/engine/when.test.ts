import { describe, expect, test } from 'vitest';
import { NonRetryableError, runbook, z } from '../../src/index.ts';
import { journal, testFirebreak } from '../support/engine.ts';

describe('conditional steps and dry runs', () => {
  test('a when returning false skips the step; later steps still run without its output', async () => {
    const log: string[] = [];
    let seen: unknown = 'unset';
    const rb = runbook({ id: 'cond', title: 'cond', input: z.object({ deployed: z.boolean() }) })
      .diagnostic('deploy', async ({ input }) => ({ recent: input.deployed }))
      .mitigation('rollback', {
        when: ({ steps }) => steps.deploy.recent,
        apply: async () => log.push('apply'),
        revert: async () => log.push('revert'),
      })
      .diagnostic('after', async ({ steps }) => {
        seen = steps.rollback;
        return 'checked';
      });
    await using fb = await testFirebreak([rb]);
    const run = await fb.run('cond', { deployed: false });
    expect(run.status).toBe('succeeded');
    expect(log).toEqual([]);
    expect(seen).toBeUndefined();
    expect(run.output).toEqual({ deploy: { recent: false }, after: 'checked' });
    const view = (await fb.view(run.id))!;
    expect(view.steps.find((s) => s.stepKey === 'rollback')).toMatchObject({
      status: 'skipped',
      output: null,
      attempt: 0,
    });
    expect(view.events.filter((e) => e.type === 'step.skipped').map((e) => e.stepKey)).toEqual(['rollback']);

    const taken = await fb.run('cond', { deployed: true });
    expect(taken.status).toBe('succeeded');
    expect(log).toEqual(['apply']);
  });

  test('a dry run calls dryRun instead of apply and never reverts', async () => {
    const log: string[] = [];
    const rb = runbook({ id: 'drill', title: 'drill', input: z.object({}) })
      .mitigation('rollback', {
        apply: async () => log.push('apply'),
        revert: async () => log.push('revert'),
        dryRun: async () => {
          log.push('dryRun');
          return { wouldRollBack: 'abc123' };
        },
      })
      .mitigation('scale', {
        apply: async () => log.push('apply scale'),
        revert: async () => log.push('revert'),
      })
      .diagnostic('check', async () => {
        throw new NonRetryableError('still failing');
      });
    await using fb = await testFirebreak([rb]);
    const { runId } = await fb.start('drill', {}, { dryRun: true });
    const run = await fb.result(runId);
    // Nothing was applied, so a failure has nothing to compensate.
    expect(run).toMatchObject({ status: 'failed', dryRun: true });
    expect(log).toEqual(['dryRun']);
    const view = (await fb.view(runId))!;
    expect(view.steps.find((s) => s.stepKey === 'rollback')).toMatchObject({
      status: 'succeeded',
      appliedSeq: null,
      output: { dryRun: true, wouldApply: { wouldRollBack: 'abc123' } },
    });
    expect(view.steps.find((s) => s.stepKey === 'scale')?.output).toEqual({
      dryRun: true,
      wouldApply: 'would apply',
    });
    const types = await journal(fb, runId);
    expect(types).not.toContain('mitigation.applied');
    expect(types).not.toContain('mitigation.reverted');
  });
});
