// The saga: when a run fails, is cancelled, or a gate refuses, every applied mitigation is reverted in
// reverse order of application. Each revert is a durable, retried step; one that still fails leaves the
// run revert_failed, which is loud (journal, log, event) because a change is left applied.
import type { SerializedError } from '../core/errors.ts';
import { retryPolicy } from '../core/retry.ts';
import type { RunStatus } from '../core/status.ts';
import { attempt } from './attempts.ts';
import type { RunExecutor, Saga, StepState } from './executor.ts';
import { attemptRow } from './step-kinds.ts';

/** Reverts get more patience than forward steps: leaving a mitigation applied is the worse outcome. */
const REVERT_POLICY = { maxAttempts: 5, initialDelayMs: 500, backoffFactor: 2, maxDelayMs: 30_000 };

export const saga: Saga = {
  async compensate(ex, reason, error) {
    ex.beginCompensation();
    ex.run.status = 'compensating';
    ex.run.error = error;
    await ex.commit({
      run: { status: 'compensating', error },
      events: [ex.event('run.compensating', null, { reason, error })],
    });
    return revertAll(ex, reason, error);
  },
  async resume(ex) {
    ex.beginCompensation();
    const reason: RunStatus = ex.run.cancelRequested ? 'cancelled' : 'failed';
    const error = ex.run.error ?? {
      name: 'Error',
      code: 'failed',
      message: 'run failed',
      nonRetryable: true,
    };
    return revertAll(ex, reason, error);
  },
};

async function revertAll(ex: RunExecutor, reason: RunStatus, error: SerializedError): Promise<void> {
  const applied = ex.appliedMitigations();
  let anyReverted = applied.some((s) => s.status === 'reverted');
  let anyFailed = applied.some((s) => s.status === 'revert_failed');
  for (const st of applied.filter((s) => s.status !== 'reverted' && s.status !== 'revert_failed')) {
    if (ex.run.keepMitigations) {
      await ex.commit({ events: [ex.event('mitigation.kept', st.key, { reason: 'cancelled with keep' })] });
      continue;
    }
    const outcome = await revertOne(ex, st);
    if (outcome === 'parked') return;
    if (outcome === 'reverted') anyReverted = true;
    else anyFailed = true;
  }
  const final: RunStatus = anyFailed
    ? 'revert_failed'
    : reason === 'cancelled'
      ? 'cancelled'
      : anyReverted
        ? 'compensated'
        : 'failed';
  await ex.commit(ex.terminal(final, undefined, error));
  if (final === 'revert_failed') {
    ex.deps.logger.error('run left a mitigation applied: revert failed', { runId: ex.runId });
  }
  ex.runFinished(final, error);
}

async function revertOne(ex: RunExecutor, st: StepState): Promise<'reverted' | 'revert_failed' | 'parked'> {
  const def = ex.deps.runbook?.defs.get(st.key);
  const m = def?.kind === 'mitigation' ? def.mitigation : undefined;
  const now = ex.deps.clock.now();
  if (!m) {
    const error = {
      name: 'Error',
      code: 'revert_missing',
      message: `no revert for ${st.key} in this runbook version`,
      nonRetryable: true,
    };
    return settle(ex, st, 'revert_failed', error, now);
  }
  const res = await attempt(
    ex,
    st,
    {
      phase: 'revert',
      policy: retryPolicy({ ...REVERT_POLICY, ...m.revertRetry }),
      timeoutMs: undefined,
      stepName: st.key,
      extra: { applied: st.state.applied ?? null },
    },
    (inv) => m.revert(inv.ctx as Parameters<typeof m.revert>[0]),
  );
  if ('parked' in res) {
    await ex.park(res.parked, [], 'compensating');
    return 'parked';
  }
  return settle(
    ex,
    st,
    res.ok ? 'reverted' : 'revert_failed',
    res.ok ? null : res.error,
    res.startedAt,
    res.evidence,
  );
}

async function settle(
  ex: RunExecutor,
  st: StepState,
  status: 'reverted' | 'revert_failed',
  error: SerializedError | null,
  startedAt: Date,
  evidence: Parameters<RunExecutor['commit']>[0]['evidence'] = [],
): Promise<'reverted' | 'revert_failed'> {
  const now = ex.deps.clock.now();
  Object.assign(st, { status, finishedAt: now });
  if (error) st.error = error;
  await ex.commit({
    steps: [ex.stepWrite(st)],
    attempts: [
      attemptRow(st, 'revert', status === 'reverted' ? 'succeeded' : 'failed', error, startedAt, now),
    ],
    evidence: evidence ?? [],
    events: [ex.event(`mitigation.${status}`, st.key, error ? { error } : undefined)],
  });
  ex.deps.events.emit('mitigation.reverted', { runId: ex.runId, step: st.key, status });
  return status;
}
