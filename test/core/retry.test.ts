import { describe, expect, test } from 'vitest';
import { decideRetry, retryDelayMs, retryPolicy } from '../../src/core/retry.ts';

describe('retry delays', () => {
  const policy = retryPolicy({ initialDelayMs: 100, backoffFactor: 2, maxDelayMs: 1_000, jitter: 0.5 });
  const noJitter = () => 0;

  test('delays grow by the backoff factor up to maxDelayMs', () => {
    const delays = [2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(policy, n, noJitter));
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  test('jitter only shortens a delay, by at most its fraction', () => {
    expect(retryDelayMs(policy, 3, () => 1)).toBe(100);
    expect(retryDelayMs(policy, 3, () => 0.5)).toBe(150);
    expect(retryDelayMs(policy, 9, () => 0.999)).toBeLessThanOrEqual(1_000);
  });

  test('decideRetry stops at maxAttempts and on non-retryable errors', () => {
    const p = retryPolicy({ maxAttempts: 3, initialDelayMs: 10, jitter: 0 });
    expect(decideRetry(p, 1, { nonRetryable: false }, noJitter)).toEqual({ retry: true, delayMs: 10 });
    expect(decideRetry(p, 2, { nonRetryable: false }, noJitter)).toEqual({ retry: true, delayMs: 20 });
    expect(decideRetry(p, 3, { nonRetryable: false }, noJitter)).toEqual({ retry: false });
    expect(decideRetry(p, 1, { nonRetryable: true }, noJitter)).toEqual({ retry: false });
  });

  test("an error's own nextRetryDelayMs overrides the computed delay", () => {
    const p = retryPolicy({ maxAttempts: 5 });
    expect(decideRetry(p, 1, { nonRetryable: false, nextRetryDelayMs: 7_000 }, noJitter)).toEqual({
      retry: true,
      delayMs: 7_000,
    });
  });
});
