import { describe, expect, test } from 'vitest';
import { runbook, z } from '../../src/index.ts';
import { testFirebreak } from '../support/engine.ts';

describe('idempotent starts', () => {
  const rb = () => {
    const calls = { n: 0 };
    const book = runbook({ id: 'once', title: 'once', input: z.object({ service: z.string() }) }).diagnostic(
      'probe',
      async ({ input }) => {
        calls.n++;
        return input.service;
      },
    );
    return { book, calls };
  };

  test('starting twice with one idempotency key returns the first run', async () => {
    const { book, calls } = rb();
    await using fb = await testFirebreak([book]);
    const first = await fb.start('once', { service: 'api' }, { idempotencyKey: 'incident-7:once' });
    const second = await fb.start('once', { service: 'other' }, { idempotencyKey: 'incident-7:once' });
    expect(first.created).toBe(true);
    expect(second).toEqual({ runId: first.runId, created: false });

    const run = await fb.result(first.runId);
    expect(run).toMatchObject({ status: 'succeeded', output: { probe: 'api' } });
    const runs = await fb.store.listRuns();
    expect(runs.map((r) => [r.id, r.idempotencyKey])).toEqual([[first.runId, 'incident-7:once']]);
    expect(calls.n).toBe(1);
    // A third start after the run finished still names it.
    expect(await fb.start('once', { service: 'api' }, { idempotencyKey: 'incident-7:once' })).toEqual({
      runId: first.runId,
      created: false,
    });
  });

  test('concurrent starts with one key create exactly one run', async () => {
    const { book, calls } = rb();
    await using fb = await testFirebreak([book]);
    const starts = await Promise.all(
      Array.from({ length: 8 }, () => fb.start('once', { service: 'api' }, { idempotencyKey: 'k-1' })),
    );
    const ids = new Set(starts.map((s) => s.runId));
    expect(ids.size).toBe(1);
    expect(starts.filter((s) => s.created)).toHaveLength(1);
    const [runId] = ids;
    expect((await fb.result(runId!)).status).toBe('succeeded');
    expect(await fb.store.listRuns()).toHaveLength(1);
    expect(calls.n).toBe(1);
  });
});
