// A runbook's `circuitBreaker` option: checked with zod when the runbook loads, and resolved once into
// the settings the engine's breakers use. Defaults are documented in docs/authoring.md.
import { z } from 'zod';
import type { CircuitSettings } from '../core/circuit-breaker.ts';
import { type Duration, durationError, parseDuration } from '../core/duration.ts';

export interface CircuitBreakerOptions {
  /** Consecutive connection errors or 5xx answers from one host that open its circuit. Default 5. */
  failures?: number;
  /** How long an open circuit refuses requests before one trial request goes through. Default '30s'. */
  coolDown?: Duration;
  /** How long one step waits in all for open circuits before it fails with the circuit's error. Default '10m'. */
  maxWait?: Duration;
}

export interface ResolvedCircuitBreaker extends CircuitSettings {
  maxWaitMs: number;
}

export const defaultCircuitBreaker: ResolvedCircuitBreaker = {
  failures: 5,
  coolDownMs: 30_000,
  maxWaitMs: 600_000,
};

const duration = z.union([z.string(), z.number()]).superRefine((v, ctx) => {
  const error = durationError(v);
  if (error) ctx.addIssue({ code: 'custom', message: error });
});

export const circuitBreakerSchema = z.union([
  z.literal(false),
  z.strictObject({
    failures: z.number().int().min(1).max(1000).optional(),
    coolDown: duration.optional(),
    maxWait: duration.optional(),
  }),
]);

/** Load-time problems of the option, one line each ("circuitBreaker.failures: …"). */
export function circuitBreakerProblems(value: unknown): string[] {
  if (value === undefined) return [];
  const result = circuitBreakerSchema.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map(
    (i) => `circuitBreaker${i.path.map((p) => `.${String(p)}`).join('')}: ${i.message}`,
  );
}

/** The settings a runbook's steps call out under; null when the runbook turned circuit breaking off. */
export function resolveCircuitBreaker(
  value: CircuitBreakerOptions | false | undefined,
): ResolvedCircuitBreaker | null {
  if (value === false) return null;
  return {
    failures: value?.failures ?? defaultCircuitBreaker.failures,
    coolDownMs:
      value?.coolDown === undefined ? defaultCircuitBreaker.coolDownMs : parseDuration(value.coolDown),
    maxWaitMs: value?.maxWait === undefined ? defaultCircuitBreaker.maxWaitMs : parseDuration(value.maxWait),
  };
}
