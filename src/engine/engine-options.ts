// The engine's options, compiled and validated once when the engine is made: defaults filled in,
// and combinations that cannot work refused with a ValidationError instead of failing later.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../core/errors.ts';
import type { ExecutorConfig } from './executor.ts';

const ms = z.number().finite();

/** Each option with its default; the comments are the documentation. */
const engineOptionsSchema = z
  .object({
    /** Names this process in leases and logs. Default `worker-` and 8 random hex digits. */
    workerId: z.string().min(1).optional(),
    /** Runs executing at once in this process (global worker concurrency). Default 200. */
    maxConcurrentRuns: z.number().int().min(1).default(200),
    /** How long a claim or heartbeat holds a run's lease. Default 3 s. */
    leaseMs: ms.positive().default(3_000),
    /** How often the leases of the runs executing here are renewed; must be shorter than leaseMs. Default 1 s. */
    heartbeatMs: ms.positive().default(1_000),
    /** How often due runs are looked for when a NOTIFY is missed (or the connection was down). Default 1 s. */
    pollIntervalMs: ms.positive().default(1_000),
    /** Runs claimed per round trip. Default 32. */
    claimBatch: z.number().int().min(1).default(32),
    /** Waits up to this long (backoff, short sleeps, verify delays) happen in memory under the lease. Default 1 s. */
    inlineWaitMaxMs: ms.min(0).default(1_000),
    /** How soon a mitigation held by the kill switch looks again. Default 5 s. */
    killSwitchRecheckMs: ms.positive().default(5_000),
    /** How soon a run waiting for a concurrency slot tries again (slot releases also wake it). Default 2 s. */
    slotRetryMs: ms.positive().default(2_000),
  })
  .check((ctx) => {
    const o = ctx.value;
    // A lease renewed no more often than it lasts runs out between two heartbeats: every run would be
    // stopped here and taken over elsewhere.
    if (o.heartbeatMs >= o.leaseMs)
      ctx.issues.push({
        code: 'custom',
        input: o,
        path: ['heartbeatMs'],
        message: `heartbeatMs (${o.heartbeatMs}) must be less than leaseMs (${o.leaseMs})`,
      });
  });

/** The options an engine may be given (each optional; see engineOptionsSchema for the defaults). */
export type EngineOptions = Partial<EngineConfig>;

export interface EngineConfig extends ExecutorConfig {
  workerId: string;
  /** Runs executing at once in this process (global worker concurrency). */
  maxConcurrentRuns: number;
  leaseMs: number;
  heartbeatMs: number;
  /** Fallback when a NOTIFY is missed (or the connection was down). */
  pollIntervalMs: number;
  claimBatch: number;
}

/**
 * Fills in the defaults and checks the options once; throws a ValidationError naming every problem.
 * Keys given as undefined take their default.
 */
export function compileEngineOptions(options: EngineOptions = {}): EngineConfig {
  const parsed = engineOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`);
    throw new ValidationError(`engine options are invalid: ${problems.join('; ')}`, {
      issues: parsed.error.issues,
    });
  }
  const { workerId, ...rest } = parsed.data;
  return { ...rest, workerId: workerId ?? `worker-${randomUUID().slice(0, 8)}` };
}

/** The defaults, with a fresh worker id. */
export const defaultEngineConfig = (): EngineConfig => compileEngineOptions();
