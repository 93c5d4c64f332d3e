// The saga: when a run fails, is cancelled, or a gate refuses, every applied mitigation is reverted in
// reverse order of application. Each revert is its kind's `compensate` (kinds/mitigation.ts), a durable,
// retried attempt; one that still fails leaves the run revert_failed, which is loud (journal, log,
// event) because a change is left applied.
import type { SerializedError } from '../core/errors.ts';
import type { RunStatus } from '../core/status.ts';
import type { RunExecutor, Saga } from './executor.ts';
import type { CompensateOutcome } from './kinds/kind.ts';
import { mitigation, settleRevert } from './kinds/mitigation.ts';
import type { StepState } from './step-state.ts';

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
    ex.logger.error('run left a mitigation applied: revert failed', { runId: ex.runId });
  }
  ex.runFinished(final, error);
}

/** Reverts one applied mitigation with the definition this worker has loaded. */
function revertOne(ex: RunExecutor, st: StepState): Promise<CompensateOutcome> {
  const def = ex.stepDef(st.key);
  if (def?.kind === 'mitigation') return mitigation.compensate(ex, def, st);
  const error = {
    name: 'Error',
    code: 'revert_missing',
    message: `no revert for ${st.key} in this runbook version`,
    nonRetryable: true,
  };
  return settleRevert(ex, st, { status: 'revert_failed', error, startedAt: ex.now() });
}
