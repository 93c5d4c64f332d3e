import { describe, expect, test } from 'vitest';
import { runbook, z } from '../../src/index.ts';
import { testFirebreak } from '../support/engine.ts';

describe('step order and outputs', () => {
  test('outputs flow to later steps; needs fan out; reading order is the default', async () => {
    const order: string[] = [];
    const rb = runbook({ id: 'flow', title: 'flow', input: z.object({ n: z.number() }) })
      .diagnostic('a', async ({ input }) => {
        order.push('a');
        return { doubled: input.n * 2 };
      })
      .diagnostic('b', { needs: [] }, async () => {
        order.push('b');
        return { b: true };
      })
      .diagnostic('c', { needs: ['a', 'b'] }, async ({ steps }) => {
        order.push('c');
        return { sum: steps.a.doubled + (steps.b.b ? 1 : 0) };
      })
      .diagnostic('d', async ({ steps }) => ({ final: steps.c.sum * 10 }));
    await using fb = await testFirebreak([rb]);
    const run = await fb.run('flow', { n: 4 });
    expect(run.status).toBe('succeeded');
    expect(run.output).toMatchObject({ a: { doubled: 8 }, c: { sum: 9 }, d: { final: 90 } });
    expect(order.indexOf('c')).toBeGreaterThan(Math.max(order.indexOf('a'), order.indexOf('b')));
    const view = await fb.view(run.id);
    expect(view!.steps.map((s) => [s.stepKey, s.status, s.attempt]).sort()).toEqual([
      ['a', 'succeeded', 1],
      ['b', 'succeeded', 1],
      ['c', 'succeeded', 1],
      ['d', 'succeeded', 1],
    ]);
    const types = view!.events.map((e) => e.type);
    expect(types[0]).toBe('run.created');
    expect(types.at(-1)).toBe('run.succeeded');
  });

  test('a bad input is refused with the zod message before a run exists', async () => {
    const rb = runbook({ id: 'typed', title: 't', input: z.object({ service: z.string() }) }).diagnostic(
      'x',
      async () => 1,
    );
    await using fb = await testFirebreak([rb]);
    await expect(fb.start('typed', { service: 42 })).rejects.toMatchObject({
      code: 'validation',
      details: { issues: [expect.objectContaining({ path: ['service'] })] },
    });
    expect(await fb.store.listRuns()).toHaveLength(0);
  });
});
