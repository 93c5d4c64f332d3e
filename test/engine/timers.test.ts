import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { runbook, z } from '../../src/index.ts';
import { journal, testFirebreak } from '../support/engine.ts';

const HOUR = 3_600_000;

describe('durable timers', () => {
  test('a sleep parks the run as a row until the clock passes its due time', async () => {
    const clock = new ManualClock();
    const t0 = clock.now().getTime();
    let after = 0;
    const rb = runbook({ id: 'cooldown', title: 'cooldown', input: z.object({}) })
      .sleep('cooldown', { duration: '1h' })
      .diagnostic('recheck', async () => ++after);
    await using fb = await testFirebreak([rb], { clock });

    const parked = fb.engine.events.waitFor('run.parked');
    const { runId } = await fb.start('cooldown', {});
    expect(await parked).toMatchObject({ runId, wakeAt: new Date(t0 + HOUR) });
    const waiting = await fb.store.getRun(runId);
    expect(waiting).toMatchObject({ status: 'waiting', leaseOwner: null, leaseExpiresAt: null });
    expect(waiting!.wakeAt?.getTime()).toBe(t0 + HOUR);

    // A minute early, no worker may claim it (the probe would take it if the claim query did).
    clock.advance(HOUR - 60_000);
    fb.engine.poke();
    expect(await fb.store.claimRuns('probe', clock.now(), 1_000, 10)).toEqual([]);
    expect(after).toBe(0);

    const finished = fb.engine.events.waitFor('run.finished', (e) => e.runId === runId);
    clock.advance(60_000);
    fb.engine.poke();
    expect(await finished).toMatchObject({ status: 'succeeded' });
    expect(after).toBe(1);

    const view = (await fb.view(runId))!;
    expect(view.steps.map((s) => [s.stepKey, s.status])).toEqual([
      ['cooldown', 'succeeded'],
      ['recheck', 'succeeded'],
    ]);
    expect(view.steps[0]!.output).toEqual({ until: new Date(t0 + HOUR).toISOString() });
    expect(await journal(fb, runId)).toEqual([
      'run.created',
      'timer.started',
      'run.waiting',
      'step.succeeded',
      'step.started',
      'step.succeeded',
      'run.succeeded',
    ]);
  });
});
