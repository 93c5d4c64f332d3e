// Retry policy as a plain object with documented defaults, and the pure delay computation.

export interface RetryPolicy {
  /** Attempts in all, the first one included. Default 3 for every phase (run, apply, verify); reverts get 5. */
  maxAttempts: number;
  /** Delay before the second attempt. Default 200 ms. */
  initialDelayMs: number;
  /** Each further delay is multiplied by this. Default 2. */
  backoffFactor: number;
  /** Upper bound of one delay. Default 30 s. */
  maxDelayMs: number;
  /** Fraction of the delay drawn at random, so that many failing runs do not retry in lockstep. Default 0.2. */
  jitter: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 3,
  initialDelayMs: 200,
  backoffFactor: 2,
  maxDelayMs: 30_000,
  jitter: 0.2,
};

export function retryPolicy(
  overrides: Partial<RetryPolicy> = {},
  base: RetryPolicy = defaultRetryPolicy,
): RetryPolicy {
  return { ...base, ...overrides };
}

/**
 * Delay before attempt `nextAttempt` (2 for the first retry). `random` is passed in so tests are exact.
 * Jitter is applied downwards only, so maxDelayMs is a true upper bound.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  nextAttempt: number,
  random: () => number = Math.random,
): number {
  const exp = policy.initialDelayMs * policy.backoffFactor ** Math.max(0, nextAttempt - 2);
  const capped = Math.min(policy.maxDelayMs, exp);
  return Math.round(capped * (1 - policy.jitter * random()));
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

export function decideRetry(
  policy: RetryPolicy,
  attempt: number,
  error: { nonRetryable: boolean; nextRetryDelayMs?: number | undefined },
  random: () => number = Math.random,
): RetryDecision {
  if (error.nonRetryable || attempt >= policy.maxAttempts) return { retry: false };
  const delayMs = error.nextRetryDelayMs ?? retryDelayMs(policy, attempt + 1, random);
  return { retry: true, delayMs };
}
