// The runs service every edge shares: start, view, retry (with its refusals) and cancel, on one firebreak.
import { expect, test } from 'vitest';
import { runbook, z } from '../../src/index.ts';
import { runsOf } from '../../src/services/runs.ts';
import { testFirebreak } from '../support/engine.ts';

let failOnce = true;

const flaky = runbook({ id: 'svc-flaky', title: 'Flaky', input: z.object({}) })
  .diagnostic('first', async () => 1)
  .diagnostic('second', async () => {
    if (failOnce) {
      failOnce = false;
      throw Object.assign(new Error('not yet'), { nonRetryable: true });
    }
    return 2;
  });

const waits = runbook({ id: 'svc-waits', title: 'Waits', input: z.object({}) }).sleep('nap', {
  duration: '1h',
});

test('retry queues a failed run again; a missing or unfinished run is said so, not retried', async () => {
  await using fb = await testFirebreak([flaky, waits]);
  const runs = runsOf(fb);

  const { runId, created } = await runs.start('svc-flaky', {}, { requestedBy: 'test' });
  expect(created).toBe(true);
  expect((await fb.result(runId)).status).toBe('failed');
  expect(await runs.retry(runId)).toEqual({ outcome: 'queued' });
  expect((await fb.result(runId)).status).toBe('succeeded');
  expect(await runs.retry(runId)).toEqual({ outcome: 'not_retryable', status: 'succeeded' });
  expect(await runs.retry('01900000-0000-7000-8000-000000000000')).toEqual({ outcome: 'not_found' });

  const view = await runs.view(runId);
  expect(view?.steps.map((s) => [s.stepKey, s.status])).toEqual([
    ['first', 'succeeded'],
    ['second', 'succeeded'],
  ]);
  expect(view?.events.map((e) => e.type)).toContain('run.retried');
  expect((await runs.list({ runbookId: 'svc-flaky' })).map((r) => r.id)).toEqual([runId]);
});

test('cancel stops a waiting run through the engine', async () => {
  await using fb = await testFirebreak([waits]);
  const runs = runsOf(fb);
  const { runId } = await runs.start('svc-waits', {});
  await expect.poll(async () => (await runs.get(runId))?.status, { timeout: 10_000 }).toBe('waiting');
  expect((await runs.active()).waiting.map((r) => r.id)).toContain(runId);
  await runs.cancel(runId);
  expect((await fb.result(runId)).status).toBe('cancelled');
});
