import { describe, expect, test } from 'vitest';
import { NonRetryableError, runbook, z } from '../../src/index.ts';
import { journal, testFirebreak, untilAborted } from '../support/engine.ts';

const input = z.object({});

describe('step retries', () => {
  test('a diagnostic failing twice then succeeding takes 3 attempts under one idempotency key', async () => {
    const keys: string[] = [];
    const rb = runbook({ id: 'flaky', title: 'flaky', input }).diagnostic(
      'probe',
      { retry: { initialDelayMs: 5, backoffFactor: 2, jitter: 0 } },
      async ({ idempotencyKey, step }) => {
        keys.push(idempotencyKey);
        if (step.attempt < 3) throw new Error(`flake ${step.attempt}`);
        return { ok: true };
      },
    );
    await using fb = await testFirebreak([rb]);
    const run = await fb.run('flaky', {});
    expect(run.status).toBe('succeeded');

    const view = (await fb.view(run.id))!;
    const step = view.steps.find((s) => s.stepKey === 'probe')!;
    expect(step).toMatchObject({ status: 'succeeded', attempt: 3, output: { ok: true } });
    expect(keys).toEqual([step.idempotencyKey, step.idempotencyKey, step.idempotencyKey]);
    expect(view.attempts.map((a) => [a.attempt, a.phase, a.status, a.error?.message ?? null])).toEqual([
      [1, 'run', 'failed', 'flake 1'],
      [2, 'run', 'failed', 'flake 2'],
      [3, 'run', 'succeeded', null],
    ]);
    expect(await journal(fb, run.id)).toEqual([
      'run.created',
      'step.started',
      'step.retrying',
      'step.started',
      'step.retrying',
      'step.started',
      'step.succeeded',
      'run.succeeded',
    ]);
    // The backoff grows by the factor (no jitter here): 5 ms, then 10 ms.
    const delays = view.events.filter((e) => e.type === 'step.retrying').map((e) => e.data);
    expect(delays).toMatchObject([{ delayMs: 5 }, { delayMs: 10 }]);
  });

  test('a NonRetryableError fails the step at once', async () => {
    let calls = 0;
    const rb = runbook({ id: 'fatal', title: 'fatal', input }).diagnostic('probe', async () => {
      calls++;
      throw new NonRetryableError('no such service');
    });
    await using fb = await testFirebreak([rb]);
    const run = await fb.run('fatal', {});
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'non_retryable', message: 'no such service' });
    expect(calls).toBe(1);
    const view = (await fb.view(run.id))!;
    expect(view.steps).toMatchObject([{ stepKey: 'probe', status: 'failed', attempt: 1 }]);
    expect(view.attempts).toMatchObject([{ attempt: 1, status: 'failed', error: { code: 'non_retryable' } }]);
    expect(view.events.map((e) => e.type)).not.toContain('step.retrying');
  });

  test('exhausting maxAttempts fails the run with the last error', async () => {
    let calls = 0;
    const rb = runbook({ id: 'broken', title: 'broken', input }).diagnostic(
      'probe',
      { retry: { maxAttempts: 2, initialDelayMs: 1 } },
      async () => {
        calls++;
        throw new Error(`down ${calls}`);
      },
    );
    await using fb = await testFirebreak([rb]);
    const run = await fb.run('broken', {});
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ message: 'down 2' });
    expect(calls).toBe(2);
    const view = (await fb.view(run.id))!;
    expect(view.attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
    ]);
    expect(view.steps).toMatchObject([{ stepKey: 'probe', status: 'failed', attempt: 2 }]);
  });

  test('a step timeout aborts the step through its AbortSignal', async () => {
    let seen: AbortSignal | undefined;
    const rb = runbook({ id: 'slow', title: 'slow', input }).diagnostic(
      'hang',
      { timeout: '50ms', retry: { maxAttempts: 1 } },
      async ({ signal }) => {
        seen = signal;
        await untilAborted(signal);
        return 'late';
      },
    );
    await using fb = await testFirebreak([rb]);
    const run = await fb.run('slow', {});
    expect(run.status).toBe('failed');
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toMatchObject({ code: 'step_timeout' });
    expect(run.error).toMatchObject({ code: 'step_timeout', details: { step: 'hang', timeoutMs: 50 } });
    const view = (await fb.view(run.id))!;
    expect(view.steps).toMatchObject([
      { stepKey: 'hang', status: 'failed', error: { code: 'step_timeout' } },
    ]);
  });
});
