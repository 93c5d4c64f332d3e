import { describe, expect, test } from 'vitest';
import { runbook, z } from '../../src/index.ts';
import { testDatabase } from '../support/db.ts';
import { deferred, journal, testFirebreak, untilAborted } from '../support/engine.ts';

describe('exactly-once steps across a restart', () => {
  test('committed steps do not run again; the interrupted one runs again with the same key', async () => {
    await using db = await testDatabase({ durable: true });
    const calls: Record<string, number> = {};
    const keys: string[] = [];
    const inLong = deferred<AbortSignal>();
    const count = (name: string) => {
      calls[name] = (calls[name] ?? 0) + 1;
      return calls[name];
    };
    const rb = (block: boolean) =>
      runbook({ id: 'restart', title: 'restart', input: z.object({}) })
        .diagnostic('a', async () => count('a'))
        .diagnostic('b', async () => count('b'))
        .diagnostic('long', async ({ idempotencyKey, signal }) => {
          count('long');
          keys.push(idempotencyKey);
          if (block) {
            inLong.resolve(signal);
            await untilAborted(signal);
          }
          return 'done';
        })
        .diagnostic('c', async () => count('c'));

    let runId: string;
    {
      await using fb = await testFirebreak([rb(true)], { db });
      ({ runId } = await fb.start('restart', {}));
      const signal = await inLong.promise;
      // No grace: the step is abandoned mid-flight (its signal aborts) and the lease is released.
      await fb.engine.stop({ graceMs: 0 });
      expect(signal.aborted).toBe(true);
      expect(await fb.store.getRun(runId)).toMatchObject({ status: 'running', leaseOwner: null });
    }
    expect(calls).toEqual({ a: 1, b: 1, long: 1 });

    await using fb = await testFirebreak([rb(false)], { db });
    const run = await fb.result(runId);
    expect(run.status).toBe('succeeded');
    expect(calls).toEqual({ a: 1, b: 1, long: 2, c: 1 });
    expect(keys).toEqual([`${runId}:long`, `${runId}:long`]);

    const view = (await fb.view(runId))!;
    const step = (name: string) => view.steps.find((s) => s.stepKey === name)!;
    expect([step('a').attempt, step('b').attempt, step('long').attempt, step('c').attempt]).toEqual([
      1, 1, 2, 1,
    ]);
    expect(step('long').idempotencyKey).toBe(`${runId}:long`);
    const started = view.events.filter((e) => e.type === 'step.started').map((e) => e.stepKey);
    expect(started).toEqual(['a', 'b', 'long', 'long', 'c']);
    expect((await journal(fb, runId)).filter((t) => t === 'step.succeeded')).toHaveLength(4);
  });
});
