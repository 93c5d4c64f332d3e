// A run fails only for its own steps, and says which one and why: the run's error names the step and
// the innermost cause, and so does the 'run finished' log line an operator greps for at 3 a.m.
import { expect, test } from 'vitest';
import { jsonLogger } from '../../src/core/logger.ts';
import { NonRetryableError, runbook, z } from '../../src/index.ts';
import { testFirebreak } from '../support/engine.ts';

const rb = runbook({ id: 'failing-call', title: 'Calls a service that is down', input: z.object({}) })
  .diagnostic('look', async () => ({ ok: true }))
  .diagnostic('call-upstream', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:443'), { code: 'ECONNREFUSED' });
    throw new NonRetryableError('fetch failed', { cause: refused });
  });

test("a failed run's error and log line name the step and the innermost cause", async () => {
  const lines: string[] = [];
  await using fb = await testFirebreak([rb], { logger: jsonLogger('info', {}, (l) => lines.push(l)) });
  const run = await fb.run('failing-call', {}, { timeoutMs: 30_000 });

  expect(run.status).toBe('failed');
  expect(run.error).toMatchObject({
    code: 'non_retryable',
    message: 'fetch failed',
    details: { step: 'call-upstream', rootCause: 'connect ECONNREFUSED 10.0.0.7:443' },
  });
  const finished = lines
    .map((l) => JSON.parse(l))
    .find((l) => l.msg === 'run finished' && l.runId === run.id);
  expect(finished).toMatchObject({
    level: 'warn',
    status: 'failed',
    step: 'call-upstream',
    code: 'non_retryable',
    error: 'fetch failed',
    cause: 'connect ECONNREFUSED 10.0.0.7:443',
  });
});
