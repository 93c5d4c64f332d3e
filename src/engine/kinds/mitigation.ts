// mitigation: a reversible change. Forward: kill switch, approval gate, budget, apply, then verify
// after a delay; a dry run applies nothing and records what it would do. Compensation: the revert, a
// durable retried attempt with more patience than forward steps (the saga calls it).
import { parseDuration } from '../../core/duration.ts';
import { FirebreakError, type SerializedError, serializeError } from '../../core/errors.ts';
import { retryPolicy } from '../../core/retry.ts';
import type { StepDefOf } from '../../dsl/types.ts';
import type { EvidenceWrite } from '../../store/store.ts';
import { approvalGate } from '../approval-gate.ts';
import { type AttemptResult, attempt } from '../attempts.ts';
import type { RunExecutor } from '../executor.ts';
import { checkBudget } from '../mitigation-budget.ts';
import { attemptRow, fail, succeed } from '../step-results.ts';
import type { StepOutcome, StepState } from '../step-state.ts';
import { done, gateSummary, phase, type StepKindHandler } from './kind.ts';

type Def = StepDefOf<'mitigation'>;

/** Reverts get more patience than forward steps: leaving a mitigation applied is the worse outcome. */
const REVERT_POLICY = { maxAttempts: 5, initialDelayMs: 500, backoffFactor: 2, maxDelayMs: 30_000 };

export const mitigation = {
  async execute(ex, def, st) {
    const m = def.mitigation;
    if (ex.run.dryRun) return dryRun(ex, def, st);
    if (st.state.phase !== 'applied') {
      if (await ex.killSwitchOn()) return holdForKillSwitch(ex, st);
      if (m.approval && !st.state.approvedBy) {
        const summary = await gateSummary(ex, def, st, m.approval);
        const gate = await approvalGate(ex, st, { stepName: def.name, policy: m.approval, summary });
        if (gate.type !== 'approved') return gate.outcome;
        st.state.approvedBy = gate.by;
        st.status = 'pending';
      }
      const budget = await checkBudget(ex, def, st);
      if (budget.type === 'outcome') return budget.outcome;
      if (budget.type === 'fail') return fail(ex, st, { error: budget.error, phase: 'apply' });
      const applied = await apply(ex, def, st);
      if (applied) return applied;
    }
    if (m.verify && st.state.verified === undefined) {
      const verified = await verify(ex, def, m.verify, st);
      if (verified) return verified;
    }
    await succeed(ex, st, { stepName: def.name, output: st.state.applied ?? null });
    return done;
  },

  async compensate(ex, def, st) {
    const m = def.mitigation;
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
    return settleRevert(ex, st, {
      status: res.ok ? 'reverted' : 'revert_failed',
      error: res.ok ? null : res.error,
      startedAt: res.startedAt,
      evidence: res.evidence,
    });
  },
} satisfies StepKindHandler<'mitigation'>;

/** A dry run applies nothing, so there is nothing to approve or revert. */
async function dryRun(ex: RunExecutor, def: Def, st: StepState): Promise<StepOutcome> {
  const m = def.mitigation;
  const res = await attempt(ex, st, phase(ex, def, 'run'), (inv) => (m.dryRun ? m.dryRun(inv.ctx) : null));
  if ('parked' in res) return { type: 'parked', wakeAt: res.parked };
  if (!res.ok) return fail(ex, st, { error: res.error, phase: 'dry-run', attempt: res });
  const output = { dryRun: true, wouldApply: res.value ?? 'would apply' };
  await succeed(ex, st, { stepName: def.name, output, attempt: { ...res, phase: 'dry-run' } });
  return done;
}

async function holdForKillSwitch(ex: RunExecutor, st: StepState): Promise<StepOutcome> {
  const wakeAt = new Date(ex.now().getTime() + ex.config.killSwitchRecheckMs);
  if (!st.state.held) {
    st.state.held = true;
    await ex.commit({
      steps: [ex.stepWrite(st)],
      events: [ex.event('mitigation.held', st.key, { reason: 'kill switch: new mitigations are paused' })],
    });
  }
  return { type: 'parked', wakeAt };
}

/** Returns an outcome when the step cannot go on to verify now. */
async function apply(ex: RunExecutor, def: Def, st: StepState): Promise<StepOutcome | null> {
  const m = def.mitigation;
  const res = await attempt(ex, st, phase(ex, def, 'apply'), (inv) => m.apply(inv.ctx));
  if ('parked' in res) return { type: 'parked', wakeAt: res.parked };
  if (!res.ok) return fail(ex, st, { error: res.error, phase: 'apply', attempt: res });
  const now = ex.now();
  Object.assign(st.state, { phase: 'applied', applied: res.value ?? null, appliedAt: now.toISOString() });
  delete st.state.held;
  st.status = 'running';
  ex.markApplied(st);
  await ex.commit({
    steps: [ex.stepWrite(st, { applied: true })],
    attempts: [
      attemptRow(st, { phase: 'apply', status: 'succeeded', startedAt: res.startedAt, finishedAt: now }),
    ],
    evidence: res.evidence,
    events: [ex.event('mitigation.applied', st.key, { attempt: st.attempt, applied: res.value ?? null })],
  });
  ex.emit('mitigation.applied', { runId: ex.runId, step: st.key });
  return null;
}

async function verify(
  ex: RunExecutor,
  def: Def,
  v: NonNullable<Def['mitigation']['verify']>,
  st: StepState,
): Promise<StepOutcome | null> {
  const dueAt = new Date(new Date(String(st.state.appliedAt)).getTime() + parseDuration(v.after ?? 0));
  const parked = await ex.waitOrPark(dueAt);
  if (parked) return { type: 'parked', wakeAt: parked };
  const res: AttemptResult<unknown> = await attempt(
    ex,
    st,
    { ...phase(ex, def, 'run'), phase: 'verify', extra: { applied: st.state.applied } },
    (inv) => v.check(inv.ctx as Parameters<typeof v.check>[0]),
  );
  if ('parked' in res) return { type: 'parked', wakeAt: res.parked };
  const passed = res.ok && res.value === true;
  st.state.verified = passed;
  if (passed) return null;
  const error = res.ok
    ? serializeError(
        new FirebreakError('verify_failed', `verification of ${def.name} failed`, { nonRetryable: true }),
      )
    : res.error;
  if (v.onFail === 'continue') {
    await ex.commit({
      steps: [ex.stepWrite(st)],
      events: [ex.event('mitigation.verify_failed', st.key, { error, onFail: 'continue' })],
    });
    return null;
  }
  // Failing the step hands the run to the saga, which reverts this mitigation and every earlier one.
  return fail(ex, st, { error, phase: 'verify', attempt: res });
}

/** Commits a revert's end: the step reverted (or revert_failed) with its attempt row. */
export async function settleRevert(
  ex: RunExecutor,
  st: StepState,
  opts: {
    status: 'reverted' | 'revert_failed';
    error: SerializedError | null;
    startedAt: Date;
    evidence?: EvidenceWrite[];
  },
): Promise<'reverted' | 'revert_failed'> {
  const { status, error, startedAt } = opts;
  const now = ex.now();
  Object.assign(st, { status, finishedAt: now });
  if (error) st.error = error;
  await ex.commit({
    steps: [ex.stepWrite(st)],
    attempts: [
      attemptRow(st, {
        phase: 'revert',
        status: status === 'reverted' ? 'succeeded' : 'failed',
        error,
        startedAt,
        finishedAt: now,
      }),
    ],
    evidence: opts.evidence ?? [],
    events: [ex.event(`mitigation.${status}`, st.key, error ? { error } : undefined)],
  });
  ex.emit('mitigation.reverted', { runId: ex.runId, step: st.key, status });
  return status;
}
