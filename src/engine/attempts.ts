// One phase of a step (run, apply, verify, revert) tried under its retry policy. Each failed attempt is
// committed before the next begins, so a crash never resets the attempt count; short backoffs wait in
// memory, long ones park the run on a durable timer.
import { parseDuration } from '../core/duration.ts';
import { deferral, FirebreakError, type SerializedError, serializeError } from '../core/errors.ts';
import { describeSerialized } from '../core/failure.ts';
import { decideRetry, type RetryPolicy, retryPolicy } from '../core/retry.ts';
import type { StepDef } from '../dsl/types.ts';
import type { EvidenceWrite } from '../store/store.ts';
import type { RunExecutor } from './executor.ts';
import { Interrupted } from './run-commits.ts';
import { type Invocation, invoke } from './step-context.ts';
import type { StepState } from './step-state.ts';

export type AttemptResult<T> =
  | { ok: true; value: T; evidence: EvidenceWrite[]; startedAt: Date }
  | { ok: false; error: SerializedError; evidence: EvidenceWrite[]; startedAt: Date }
  | { parked: Date };

/**
 * The phase an attempt row records. A mitigation's dry run is tried as `run` (its tries count there) and
 * recorded as `dry-run` when it ends.
 */
export type AttemptPhase = 'run' | 'apply' | 'verify' | 'revert' | 'items' | 'when' | 'dry-run';

export interface PhaseOptions {
  phase: AttemptPhase;
  policy: RetryPolicy;
  timeoutMs: number | undefined;
  /** Extra context fields (applied output, forEach item). */
  extra?: Record<string, unknown>;
  /** Step name shown to the function (forEach items share their step's name). */
  stepName: string;
}

export function policyFor(ex: RunExecutor, def: StepDef, override?: Partial<RetryPolicy>): RetryPolicy {
  return retryPolicy({ ...ex.rb.runbook.options.retry, ...def.retry, ...override });
}

export function timeoutFor(def: StepDef): number | undefined {
  return def.timeout === undefined ? undefined : parseDuration(def.timeout);
}

export async function attempt<T>(
  ex: RunExecutor,
  st: StepState,
  opts: PhaseOptions,
  fn: (inv: Invocation) => T | Promise<T>,
): Promise<AttemptResult<Awaited<T>>> {
  const retryAt = st.state.retryAt as string | undefined;
  if (retryAt) {
    const parked = await ex.waitOrPark(new Date(retryAt));
    if (parked) return { parked };
  }
  for (;;) {
    if (ex.isStopped) throw new Interrupted('lease lost');
    // Each phase has its own budget (apply, verify and revert of one mitigation retry independently).
    const tries = (st.state.tries ?? {}) as Record<string, number>;
    st.state.tries = tries;
    tries[opts.phase] = (tries[opts.phase] ?? 0) + 1;
    st.attempt += 1;
    st.status = 'running';
    const startedAt = ex.now();
    st.startedAt ??= startedAt;
    delete st.state.retryAt;
    // Progress marker: rides with the next group commit, not waited for.
    await ex.commit(
      {
        steps: [ex.stepWrite(st)],
        // `try` counts this phase's attempts (a verify's first try is not "attempt 2" of the step).
        events: [
          ex.event('step.started', st.key, {
            attempt: st.attempt,
            phase: opts.phase,
            try: tries[opts.phase],
          }),
        ],
      },
      { wait: false },
    );
    ex.emit('step.started', ex.stepRef(st));
    const result = await invoke(ex.scope(opts.stepName, st, opts.timeoutMs), (inv) =>
      fn(withExtra(inv, opts.extra)),
    );
    if ('value' in result)
      return { ok: true, value: result.value as Awaited<T>, evidence: result.evidence, startedAt };
    if (ex.abort.signal.aborted) throw new Interrupted('run interrupted');

    const error = serializeError(result.error);
    const deferred = deferredRetry(ex, st, tries, opts.phase, result.error);
    const retryable = {
      nonRetryable: error.nonRetryable,
      nextRetryDelayMs: result.error instanceof FirebreakError ? result.error.nextRetryDelayMs : undefined,
    };
    const decision = deferred ?? decideRetry(opts.policy, tries[opts.phase]!, retryable);
    if (!decision.retry) return { ok: false, error, evidence: result.evidence, startedAt };

    const dueAt = new Date(ex.now().getTime() + decision.delayMs);
    st.status = 'pending';
    st.error = error;
    st.state.retryAt = dueAt.toISOString();
    await ex.commit({
      steps: [ex.stepWrite(st)],
      attempts: [
        {
          stepKey: st.key,
          attempt: st.attempt,
          phase: opts.phase,
          status: 'failed',
          error,
          startedAt,
          finishedAt: ex.now(),
        },
      ],
      evidence: result.evidence,
      events: [
        ex.event('step.retrying', st.key, {
          attempt: st.attempt,
          phase: opts.phase,
          try: tries[opts.phase],
          delayMs: decision.delayMs,
          error,
          ...(deferred?.retry ? { circuit: deferred.host } : {}),
        }),
      ],
    });
    ex.logger.warn('step attempt failed; retrying', {
      step: st.key,
      attempt: st.attempt,
      delayMs: decision.delayMs,
      error: describeSerialized(error),
    });
    ex.emit('step.retrying', {
      ...ex.stepRef(st),
      delayMs: decision.delayMs,
      error: describeSerialized(error),
      ...(deferred?.retry ? { circuit: deferred.host } : {}),
    });
    const parked = await ex.waitOrPark(dueAt);
    if (parked) return { parked };
  }
}

/**
 * A call refused before it was made (an open circuit) is not a try of the retry policy: the step waits
 * until the circuit may let it through. Bounded: once the runbook's `circuitBreaker.maxWait` has passed
 * since an open circuit first refused this phase (`state.circuitWaitSince`), the refusal fails the step
 * with the circuit's error. Null for any other outcome, which the retry policy decides.
 */
function deferredRetry(
  ex: RunExecutor,
  st: StepState,
  tries: Record<string, number>,
  phase: string,
  err: unknown,
): { retry: true; delayMs: number; host: string } | { retry: false } | null {
  const later = deferral(err);
  if (!later) return null;
  tries[phase] = (tries[phase] ?? 1) - 1;
  const now = ex.now().getTime();
  const since = (st.state.circuitWaitSince ?? {}) as Record<string, number>;
  st.state.circuitWaitSince = since;
  since[phase] ??= now;
  if (now - since[phase] >= (ex.circuitBreaker?.maxWaitMs ?? 0)) return { retry: false };
  const host = typeof later.details?.host === 'string' ? later.details.host : '';
  return { retry: true, delayMs: later.nextRetryDelayMs ?? 0, host };
}

function withExtra(inv: Invocation, extra: Record<string, unknown> | undefined): Invocation {
  if (!extra) return inv;
  return { ...inv, ctx: Object.assign(Object.create(null), inv.ctx, extra) };
}
