import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { FirebreakError, NonRetryableError, runbook, z } from '../../src/index.ts';
import { testDatabase } from '../support/db.ts';
import { deferred, testFirebreak, untilAborted } from '../support/engine.ts';

const input = z.object({ hosts: z.array(z.string()) });
const hosts = ['h0', 'h1', 'h2', 'h3', 'h4', 'h5'];

/** Lets other work run for `turns` macrotasks: items finish out of order without timers. */
async function turns(n: number) {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

describe('forEach fan-out and fan-in', () => {
  test('at most `concurrency` items in flight; outputs in item order feed a later step', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const rb = runbook({ id: 'fan', title: 'fan', input })
      .forEach('ping', {
        items: ({ input }) => input.hosts,
        concurrency: 2,
        run: async ({ item, index }) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await turns(hosts.length - index);
          inFlight--;
          return `${item}:ok`;
        },
      })
      .diagnostic('report', async ({ steps }) => steps.ping.join(','));
    await using fb = await testFirebreak([rb]);
    const run = await fb.run('fan', { hosts });
    expect(run.status).toBe('succeeded');
    expect(maxInFlight).toBe(2);
    const outputs = hosts.map((h) => `${h}:ok`);
    expect(run.output).toMatchObject({ ping: outputs, report: outputs.join(',') });

    const view = (await fb.view(run.id))!;
    const items = view.steps
      .filter((s) => s.kind === 'item')
      .sort((a, b) => a.stepKey.localeCompare(b.stepKey));
    expect(items.map((s) => [s.stepKey, s.status, s.output, s.idempotencyKey])).toEqual(
      hosts.map((h, i) => [`ping[${i}]`, 'succeeded', `${h}:ok`, `${run.id}:ping[${i}]`]),
    );
    expect(view.events.find((e) => e.type === 'foreach.items')?.data).toEqual({ count: hosts.length });
  });

  test('retrying a run failed by one item runs only the items not yet committed', async () => {
    const calls: string[] = [];
    let failH3 = true;
    const rb = runbook({ id: 'fail-item', title: 'fail-item', input }).forEach('ping', {
      items: ({ input }) => input.hosts,
      concurrency: 1,
      run: async ({ item }) => {
        calls.push(item);
        if (item === 'h3' && failH3) throw new NonRetryableError('h3 refused the connection');
        return item;
      },
    });
    await using fb = await testFirebreak([rb]);
    const failed = await fb.run('fail-item', { hosts });
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'non_retryable' } });
    expect(calls).toEqual(['h0', 'h1', 'h2', 'h3']);

    failH3 = false;
    expect(await fb.store.retryRun(failed.id, new Date())).toEqual({ previous: 'failed', retried: true });
    fb.engine.poke();
    const run = await fb.result(failed.id);
    expect(run).toMatchObject({ status: 'succeeded', output: { ping: hosts } });
    expect(calls).toEqual(['h0', 'h1', 'h2', 'h3', 'h3', 'h4', 'h5']);
  });

  test('an item waiting on a long retry parks the run; on resume committed items do not run again', async () => {
    const clock = new ManualClock();
    const calls: string[] = [];
    const rb = runbook({ id: 'retry-item', title: 'retry-item', input }).forEach('ping', {
      items: ({ input }) => input.hosts,
      concurrency: 1,
      run: async ({ item, step }) => {
        calls.push(`${item}#${step.attempt}`);
        if (item === 'h3' && step.attempt === 1) {
          throw new FirebreakError('unreachable', 'h3 is rebooting', { nextRetryDelayMs: 60_000 });
        }
        return item;
      },
    });
    await using fb = await testFirebreak([rb], { clock });
    const parked = fb.engine.events.waitFor('run.parked');
    const { runId } = await fb.start('retry-item', { hosts });
    expect((await parked).wakeAt).toEqual(new Date(clock.now().getTime() + 60_000));
    expect(calls).toEqual(['h0#1', 'h1#1', 'h2#1', 'h3#1', 'h4#1', 'h5#1']);

    const finished = fb.engine.events.waitFor('run.finished', (e) => e.runId === runId);
    clock.advance(60_000);
    fb.engine.poke();
    expect(await finished).toMatchObject({ status: 'succeeded' });
    expect(calls.slice(6)).toEqual(['h3#2']);
    expect((await fb.store.getRun(runId))!.output).toEqual({ ping: hosts });
  });

  test('after a restart mid-item, only the items not yet committed run again', async () => {
    await using db = await testDatabase({ durable: true });
    const calls: string[] = [];
    const keys: string[] = [];
    const blocked = deferred<AbortSignal>();
    const rb = (blockAt: string | null) =>
      runbook({ id: 'restart', title: 'restart', input }).forEach('ping', {
        items: ({ input }) => input.hosts,
        concurrency: 1,
        run: async ({ item, idempotencyKey, signal }) => {
          calls.push(item);
          if (item === 'h3') keys.push(idempotencyKey);
          if (item === blockAt) {
            blocked.resolve(signal);
            await untilAborted(signal);
          }
          return item;
        },
      });

    let runId: string;
    {
      await using fb = await testFirebreak([rb('h3')], { db });
      ({ runId } = await fb.start('restart', { hosts }));
      const signal = await blocked.promise;
      // Stop the worker without waiting for the blocked item (a deploy with no grace), releasing the lease.
      await fb.engine.stop({ graceMs: 0 });
      expect(signal.aborted).toBe(true);
    }
    expect(calls).toEqual(['h0', 'h1', 'h2', 'h3']);

    await using fb = await testFirebreak([rb(null)], { db });
    const run = await fb.result(runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ ping: hosts });
    expect(calls).toEqual(['h0', 'h1', 'h2', 'h3', 'h3', 'h4', 'h5']);
    expect(keys).toEqual([`${runId}:ping[3]`, `${runId}:ping[3]`]);
  });
});
